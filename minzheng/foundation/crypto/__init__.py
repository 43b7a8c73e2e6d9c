"""Field encryption (SM4-GCM) and keyed blind indexes (HMAC-SM3). See docs/adr/0002."""
