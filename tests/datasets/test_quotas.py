"""`datasets` and `storage_bytes` quotas hold under concurrent uploads; deletes release them."""

from concurrent.futures import ThreadPoolExecutor

from maestro.client import QuotaExceededError
from tests.support.usage import usage_everywhere

CSV = b"x,y\n" + b"".join(f"{i},{i * i}\n".encode() for i in range(200))


def _upload_concurrently(tenant, count: int) -> list[str]:
    def upload(i: int) -> str:
        with tenant.client() as client:
            try:
                return client.upload_dataset(CSV, f"d{i}", filename="d.csv")["id"]
            except QuotaExceededError:
                return "refused"

    with ThreadPoolExecutor(max_workers=count) as pool:
        return [o for o in pool.map(upload, range(count)) if o != "refused"]


def test_concurrent_uploads_never_exceed_dataset_or_storage_quotas(
    server, make_tenant, store, stored_names
):
    by_count = make_tenant(quotas={"datasets": 5})
    by_bytes = make_tenant(quotas={"storage_bytes": len(CSV) * 5 // 2})  # room for two files

    counted = _upload_concurrently(by_count, 20)
    sized = _upload_concurrently(by_bytes, 8)

    assert len(counted) == 5 and len(sized) == 2
    assert len(stored_names(store)) == 7  # refused uploads left no object behind
    with by_count.client() as owner:
        assert usage_everywhere(server, owner, by_count.slug, "datasets") == 5
        assert usage_everywhere(server, owner, by_count.slug, "storage_bytes") == 5 * len(CSV)
        owner.delete_dataset(counted[0])
        assert usage_everywhere(server, owner, by_count.slug, "datasets") == 4
        assert usage_everywhere(server, owner, by_count.slug, "storage_bytes") == 4 * len(CSV)
    with by_bytes.client() as owner:
        assert usage_everywhere(server, owner, by_bytes.slug, "storage_bytes") == 2 * len(CSV)
        owner.delete_dataset(sized[0])
        owner.upload_dataset(CSV, "fits-again", filename="d.csv")
        assert usage_everywhere(server, owner, by_bytes.slug, "storage_bytes") == 2 * len(CSV)
    assert len(stored_names(store)) == 6
