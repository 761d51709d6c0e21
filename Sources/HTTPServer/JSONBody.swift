import Hummingbird
import JSON
import NIOCore

/// Request and response bodies: JSON read strictly (wrong types and trailing text are 400s with
/// the path of the problem), bodies over 64 KiB refused with 413 before they are parsed.
public enum JSONBody {
    public static func read<T>(_ request: Request, _ body: (inout JSONReader) throws(JSONReader.Failure) -> T) async throws -> T {
        let buffer = try await request.body.collect(upTo: BaedalContext.maxBodyBytes)
        guard buffer.readableBytes > 0 else { throw APIError.badRequest("a JSON body is required") }
        return try parse(buffer, body)
    }

    /// Parses the bytes as they arrived: invalid UTF-8 is a 400, never replaced with U+FFFD.
    public static func parse<T>(_ buffer: ByteBuffer, _ body: (inout JSONReader) throws(JSONReader.Failure) -> T) throws(APIError) -> T {
        var value: T?
        let failure = buffer.withUnsafeReadableBytes { bytes -> JSONReader.Failure? in
            do throws(JSONReader.Failure) {
                try JSONReader.read(bytes: bytes) { reader throws(JSONReader.Failure) in value = try body(&reader) }
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw APIError.badRequest("invalid JSON body: \(failure)") }
        return value!
    }

    public static func response(_ json: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: json)))
    }
}

extension JSONReader {
    /// An object's string member that must be present and non-empty.
    public static func required<V>(_ value: V?, _ name: String, in reader: borrowing JSONReader) throws(JSONReader.Failure) -> V {
        guard let value else { throw reader.fail("'\(name)' is required") }
        if let text = value as? String, text.isEmpty { throw reader.fail("'\(name)' must not be empty") }
        return value
    }
}
