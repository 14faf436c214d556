"""A loopback HTTPS server standing for the S3 endpoint behind CloudFormation's presigned
ResponseURL: the one HTTPS peer a test can give the binary (moto and the front speak plain
HTTP), so the shipped TLS stack (rustls on ring, the roots rustls-native-certs loads) completes
a real handshake and checks a real certificate.

Usage: tls_server.py DIR. Writes a self-signed certificate for localhost and 127.0.0.1 to
DIR/cert.pem (a test trusts it through SSL_CERT_FILE, or leaves it untrusted), prints the port,
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


def self_signed(directory):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = os.path.join(directory, "cert.pem")
    key_path = os.path.join(directory, "key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return cert_path, key_path


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
