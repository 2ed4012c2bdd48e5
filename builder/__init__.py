"""builder: raw news scrapes in, a clean, near-deduplicated, versioned Parquet release out."""

__version__ = "0.1.0"
