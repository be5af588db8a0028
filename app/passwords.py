"""Password hashing, where models and services alike may import it: scrypt at OWASP's recommended cost."""
from werkzeug.security import check_password_hash, generate_password_hash

# OWASP Password Storage Cheat Sheet: scrypt with N=2^17, r=8, p=1 (128 MiB, about half a second).
HASH_METHOD = "scrypt:131072:8:1"


def hash_password(password: str) -> str:
    """The salted scrypt hash stored for a password."""
    return generate_password_hash(password, method=HASH_METHOD)


def password_matches(password_hash: str, password: str) -> bool:
    """Whether `password` is the one `password_hash` was made from."""
    return check_password_hash(password_hash, password)
