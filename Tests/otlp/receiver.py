"""An OTLP/HTTP traces receiver for the tests: decodes each ExportTraceServiceRequest with the
official protobuf definitions (opentelemetry-proto) and writes one JSON line per span to the
file given, so a Swift test can read what every process exported. Prints its port on the first
line of stdout. A request that does not decode is answered 400 and written as {"error": ...}.
With --count after the file (the tracing bench), nothing is decoded (the receiver must not compete
for the CPU it measures): only {"bytes": N} per request is written."""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest, ExportTraceServiceResponse)

KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


def value(any_value):
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [value(v) for v in any_value.array_value.values]
    return getattr(any_value, kind) if kind else None


def attributes(pairs):
    return {pair.key: value(pair.value) for pair in pairs}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        lines = []
        if COUNT_ONLY:
            with open(sys.argv[1], "a") as out:
                out.write(json.dumps({"bytes": len(body)}) + "\n")
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        try:
            if self.path != "/v1/traces":
                raise ValueError("posted to " + self.path)
            if self.headers.get("Content-Type") != "application/x-protobuf":
                raise ValueError("content type " + str(self.headers.get("Content-Type")))
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            for resource_spans in request.resource_spans:
                resource = attributes(resource_spans.resource.attributes)
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        lines.append({
                            "service": resource.get("service.name"), "resource": resource,
                            "traceId": span.trace_id.hex(), "spanId": span.span_id.hex(),
                            "parentSpanId": span.parent_span_id.hex(), "name": span.name,
                            "kind": KINDS.get(span.kind, str(span.kind)),
                            "start": span.start_time_unix_nano, "end": span.end_time_unix_nano,
                            "attributes": attributes(span.attributes),
                            "links": [{"traceId": l.trace_id.hex(), "spanId": l.span_id.hex()} for l in span.links],
                            "status": span.status.code, "flags": span.flags,
                            "events": [e.name for e in span.events],
                        })
            status, answer = 200, ExportTraceServiceResponse().SerializeToString()
        except Exception as error:  # noqa: BLE001 - any failure is the test's finding
            lines = [{"error": str(error)}]
            status, answer = 400, b""
        with open(sys.argv[1], "a") as out:
            for line in lines:
                out.write(json.dumps(line) + "\n")
        self.send_response(status)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


COUNT_ONLY = sys.argv[2:] == ["--count"]
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
