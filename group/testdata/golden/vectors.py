import hashlib, hmac, struct
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
def rotl(v,c): return ((v<<c)&0xffffffff)|(v>>(32-c))
def qr(s,a,b,c,d):
    s[a]=(s[a]+s[b])&0xffffffff; s[d]^=s[a]; s[d]=rotl(s[d],16)
    s[c]=(s[c]+s[d])&0xffffffff; s[b]^=s[c]; s[b]=rotl(s[b],12)
    s[a]=(s[a]+s[b])&0xffffffff; s[d]^=s[a]; s[d]=rotl(s[d],8)
    s[c]=(s[c]+s[d])&0xffffffff; s[b]^=s[c]; s[b]=rotl(s[b],7)
def hchacha(key, n16):
    s=[0x61707865,0x3320646e,0x79622d32,0x6b206574]+list(struct.unpack('<8I',key))+list(struct.unpack('<4I',n16))
    for _ in range(10):
        qr(s,0,4,8,12);qr(s,1,5,9,13);qr(s,2,6,10,14);qr(s,3,7,11,15)
        qr(s,0,5,10,15);qr(s,1,6,11,12);qr(s,2,7,8,13);qr(s,3,4,9,14)
    return struct.pack('<8I',*(s[0:4]+s[12:16]))
def xseal(key, nonce, pt, ad):
    sub = hchacha(key, nonce[:16])
    return ChaCha20Poly1305(sub).encrypt(b'\0'*4+nonce[16:], pt, ad)
be64=lambda v: struct.pack('>Q',v)
group = hashlib.sha256(b"starling golden group").digest()
author = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32))).public_key().public_bytes(*raw)
key = bytes(range(32)); nonce = bytes(range(0x40,0x58))
ref = hashlib.sha256(b"parent").digest()
ad = b"starling/seal/v1\x00"+group+be64(3)+struct.pack('>I',1)+author+be64(1767225600123)+ref+be64(1767312000000)
pt = b"\x0a\x05hello\x12\x03ada"
keyid = hashlib.sha256(b"starling/keyid/v1"+key).digest()[:8]
print("seal", (keyid+nonce+xseal(key,nonce,pt,ad)).hex())
# sanity: test vector from draft-irtf-cfrg-xchacha A.3.1
k=bytes.fromhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
n=bytes.fromhex("404142434445464748494a4b4c4d4e4f5051525354555657")
ad2=bytes.fromhex("50515253c0c1c2c3c4c5c6c7")
p2=b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."
print("vec ok", xseal(k,n,p2,ad2)[-16:].hex()=="c0875924c1c7987947deafd8780acf49")
secret = bytes(range(0x80,0xa0))
k1 = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"starling/epoch/v1"+group+be64(1)).derive(secret)
print("epoch1", k1.hex())
print("keyid(epoch1)", hashlib.sha256(b"starling/keyid/v1"+k1).digest()[:8].hex())
print("topic", "/starling/1/g/"+hmac.new(secret,b"starling/topic/v1",hashlib.sha256).hexdigest())
print("idfor", hashlib.sha256(b"starling/group/v1\x00"+author+bytes(range(16))).hexdigest())
ctl = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"starling/control/v1"+group).derive(secret)
print("control", ctl.hex())
print("keyid(control)", hashlib.sha256(b"starling/keyid/v1"+ctl).digest()[:8].hex())
# A key entry (random each run; Go opens any of them): HPKE DHKEM(X25519,
# HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305, info "starling/rekey/v1" ||
# group || epoch (8 BE), to the X25519 key SHA-256("starling test x25519:
# alice"), the key seq(7, 32) for epoch 2.
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import x25519
suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)
alice = x25519.X25519PrivateKey.from_private_bytes(hashlib.sha256(b"starling test x25519: alice").digest())
entry = suite.encrypt(bytes(range(7, 39)), alice.public_key(), info=b"starling/rekey/v1"+group+be64(2))
print("entry enc", entry[:32].hex())
print("entry sealed", entry[32:].hex())
