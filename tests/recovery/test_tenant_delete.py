"""Deleting a tenant deletes its artifacts and dataset files, and nobody else's."""

from tests.recovery.conftest import CSV


def test_deleting_a_tenant_deletes_its_model_artifacts_and_dataset_files(
    server, admin, make_tenant, stored_names
):
    store = server.app.state.ctx.artifacts
    other = make_tenant()
    with other.client() as client:
        client.upload_dataset(CSV, "kept", filename="kept.csv")
        client.create_model("kept")
        client.upload_version("kept", b"kept artifact", format="onnx")
    survivors = stored_names(store)
    gone = make_tenant()
    with gone.client() as client:
        client.upload_dataset(CSV, "d", filename="d.csv")
        client.create_model("m")
        client.upload_version("m", b"v1", format="onnx")
        client.upload_version("m", b"v2", format="onnx")
    assert len(stored_names(store)) == len(survivors) + 3

    admin.delete_tenant(gone.slug)

    assert stored_names(store) == survivors
