"""Turning a polars frame into model-ready columns, and the sklearn preprocessing for them.

Preparation (type casts, datetime parts) happens in polars before the Pipeline so that the
saved artifact holds only stock sklearn objects and passes the skops trusted-types check;
`prepare_frame` is therefore applied identically at training and at prediction time.
"""

from collections.abc import Mapping
from typing import Literal

import polars as pl
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

Kind = Literal["numeric", "boolean", "categorical", "datetime"]

#: One-hot columns per categorical feature; rarer values share one "infrequent" column.
MAX_CATEGORIES = 50
MISSING_CATEGORY = "__missing__"
DATETIME_PARTS = ("year", "month", "day", "weekday", "hour")


def dtype_name(dtype: pl.DataType) -> str:
    """The string stored in input schemas (e.g. `Float64`, `String`, `Datetime(...)`)."""
    return str(dtype)


def is_supported(dtype: pl.DataType) -> bool:
    """Scalar columns only: nested, binary and object values have no tabular encoding here."""
    return not (dtype.is_nested() or dtype in (pl.Binary, pl.Object))


def kind_of(dtype: str) -> Kind:
    """Classify a schema dtype string into how the pipeline treats the column."""
    if dtype.startswith(("Datetime", "Date")):
        return "datetime"
    if dtype == "Boolean":
        return "boolean"
    if dtype.startswith(("Int", "UInt", "Float", "Decimal", "Duration")):
        return "numeric"
    return "categorical"


def input_schema(df: pl.DataFrame) -> dict[str, str]:
    """Feature name -> dtype string, in column order."""
    return {name: dtype_name(dtype) for name, dtype in df.schema.items()}


def prepare_frame(df: pl.DataFrame, schema: Mapping[str, str]) -> pl.DataFrame:
    """Cast each schema column to its model-ready form; datetimes become numeric parts.

    Columns missing from `df` are treated as all-null, so the imputers fill them.
    """
    exprs: list[pl.Expr] = []
    for name, dtype in schema.items():
        col = pl.col(name) if name in df.columns else pl.lit(None).alias(name)
        kind = kind_of(dtype)
        if dtype.startswith("Duration"):
            exprs.append(col.cast(pl.Int64, strict=False).cast(pl.Float64))
        elif kind in ("numeric", "boolean"):
            exprs.append(col.cast(pl.Float64, strict=False))
        elif kind == "categorical":
            exprs.append(col.cast(pl.String, strict=False))
        else:
            exprs.extend(_datetime_parts(name, col, df.schema.get(name)))
    return df.select(exprs)


def prepared_kinds(schema: Mapping[str, str]) -> dict[str, Kind]:
    """Model-ready column name -> kind, matching the columns `prepare_frame` produces."""
    kinds: dict[str, Kind] = {}
    for name, dtype in schema.items():
        kind = kind_of(dtype)
        if kind == "datetime":
            kinds.update({f"{name}__{part}": "numeric" for part in DATETIME_PARTS})
        else:
            kinds[name] = kind
    return kinds


def build_preprocessor(kinds: Mapping[str, Kind]) -> ColumnTransformer:
    """Impute and scale numbers, impute booleans, impute and one-hot (capped) categories."""
    by_kind: dict[Kind, list[str]] = {}
    for name, kind in kinds.items():
        by_kind.setdefault(kind, []).append(name)
    transformers = []
    if by_kind.get("numeric"):
        numeric = Pipeline(
            [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
        )
        transformers.append(("numeric", numeric, by_kind["numeric"]))
    if by_kind.get("boolean"):
        transformers.append(
            ("boolean", SimpleImputer(strategy="most_frequent"), by_kind["boolean"])
        )
    if by_kind.get("categorical"):
        categorical = Pipeline(
            [
                (
                    "impute",
                    SimpleImputer(
                        missing_values=None, strategy="constant", fill_value=MISSING_CATEGORY
                    ),
                ),
                (
                    "onehot",
                    OneHotEncoder(
                        handle_unknown="ignore",
                        max_categories=MAX_CATEGORIES,
                        sparse_output=False,
                    ),
                ),
            ]
        )
        transformers.append(("categorical", categorical, by_kind["categorical"]))
    return ColumnTransformer(transformers, remainder="drop")


def _datetime_parts(name: str, col: pl.Expr, actual: pl.DataType | None) -> list[pl.Expr]:
    if actual == pl.String:
        col = col.str.to_datetime(strict=False)
    col = col.cast(pl.Datetime, strict=False)
    parts = {
        "year": col.dt.year(),
        "month": col.dt.month(),
        "day": col.dt.day(),
        "weekday": col.dt.weekday(),
        "hour": col.dt.hour(),
    }
    return [parts[p].cast(pl.Float64).alias(f"{name}__{p}") for p in DATETIME_PARTS]
