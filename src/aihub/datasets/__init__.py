"""The data catalog: datasets, immutable versions, uploads, PII screening, access tiers."""
