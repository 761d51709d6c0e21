import HTTPServer
import Hummingbird
import NIOCore

/// `GET /openapi.json`: the OpenAPI 3.1 document of the whole API, a resource embedded in the
/// binary (`OpenAPI/openapi.json`) and served as it is. It is written by hand and kept true by the
/// tests: the router and the document must list the same routes, openapi-spec-validator must
/// accept it, and schemathesis must find every answer of the running API in it.
struct OpenAPIController: Sendable {
    static let document = ByteBuffer(bytes: PackageResources.openapi_json)

    func addRoutes(to router: Router<BaedalContext>) {
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-cache"],
                     body: .init(byteBuffer: Self.document))
        }
    }
}
