"""`maestro demo`: realistic multi-tenant traffic that exercises every metric of the contract."""
