"""A loopback HTTPS server standing for the S3 endpoint behind CloudFormation's presigned
ResponseURL: the one HTTPS peer a test can give the binary (moto and the front speak plain
HTTP), so the shipped TLS stack (rustls on ring, the roots rustls-native-certs loads) completes
a real handshake and checks a real certificate.

Usage: tls_server.py DIR. Writes a root certificate to DIR/cert.pem (a test trusts it through
SSL_CERT_FILE, or leaves it untrusted) and serves one for localhost and 127.0.0.1 that it
signs; prints the port,
then answers every PUT with 200, appending it to DIR/requests.jsonl, and counts the handshakes
it refused in DIR/refused (a client that does not trust the certificate aborts its handshake).
"""

import datetime
import http.server
import ipaddress
import json
import os
import ssl
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def certificate(subject, issuer, public_key, signing_key, ca):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
    return builder.sign(signing_key, hashes.SHA256())


def pem(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def self_signed(directory):
    """A root (DIR/cert.pem, what a client may trust) and the server's certificate it signs:
    webpki, as the real S3 endpoint's chain, wants an end entity that is not itself a CA."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cidrwatch test root")])
    root = certificate(root_name, root_name, root_key.public_key(), root_key, True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    leaf = certificate(name, root_name, key.public_key(), root_key, False)
    pem(os.path.join(directory, "cert.pem"), root.public_bytes(serialization.Encoding.PEM))
    chain = pem(os.path.join(directory, "chain.pem"), leaf.public_bytes(serialization.Encoding.PEM))
    key_path = pem(
        os.path.join(directory, "key.pem"),
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    return chain, key_path


def main():
    directory = sys.argv[1]
    cert, key = self_signed(directory)
    log = os.path.join(directory, "requests.jsonl")
    refused = os.path.join(directory, "refused")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_PUT(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            entry = {
                "target": self.path,
                "content_type": self.headers.get("Content-Type"),
                "content_length": self.headers.get("Content-Length"),
                "tls": self.connection.version(),
                "body": body.decode(),
            }
            with open(log, "a") as f:
                f.write(json.dumps(entry) + "\n")
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            pass

        def _handle_request_noblock(self):
            try:
                request, client_address = self.get_request()
            except ssl.SSLError:
                with open(refused, "a") as f:
                    f.write("x")
                return
            except OSError:
                return
            try:
                self.process_request(request, client_address)
            except Exception:
                self.shutdown_request(request)

    server = Server(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
