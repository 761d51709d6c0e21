import AsyncHTTPClient
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// A key set document as fetched, and for how long it may be used (`KeySetFreshness`).
public struct KeySetDocument: Sendable {
    public var bytes: [UInt8]
    public var freshSeconds: Int

    public init(bytes: [UInt8], freshSeconds: Int) {
        self.bytes = bytes
        self.freshSeconds = freshSeconds
    }
}

/// Fetches the key set from its location: over HTTP(S) with a deadline and a size bound, or from
/// a file. Redirects are not followed (an `https://` set that redirects could land on `http://`).
public struct KeySetFetcher: Sendable {
    public let location: KeySetLocation
    /// A real set is a few KiB.
    public static let maxBytes = 512 * 1024
    /// How long one fetch may take: requests that wait on a refresh wait at most this long.
    public static let timeoutSeconds: Int64 = 5

    public init(location: KeySetLocation) {
        self.location = location
    }

    public func fetch() async throws(KeySetError) -> KeySetDocument {
        switch location {
        case .http(let url): try await Self.fetch(url: url)
        case .file(let path): KeySetDocument(bytes: try Self.readFile(path: path), freshSeconds: KeySetFreshness.unspecifiedSeconds)
        }
    }

    private static func fetch(url: String) async throws(KeySetError) -> KeySetDocument {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/jwk-set+json, application/json")
        do {
            let response = try await client.execute(request, timeout: .seconds(timeoutSeconds))
            guard response.status.code == 200 else { throw KeySetError.status(Int(response.status.code)) }
            let body = try await response.body.collect(upTo: maxBytes)
            let cacheControl = response.headers["Cache-Control"]
            return KeySetDocument(bytes: Array(body.readableBytesView),
                                  freshSeconds: KeySetFreshness.seconds(cacheControl: cacheControl.isEmpty ? nil : cacheControl.joined(separator: ",")))
        } catch let error as KeySetError {
            throw error
        } catch is NIOTooManyBytesError {
            throw .tooLarge(limit: maxBytes)
        } catch {
            throw .unreachable(Self.describe(error))
        }
    }

    /// One client for the life of the process (a global is never deinitialised, so it needs no
    /// shutdown): redirects refused, connect and read bounded, a refused connection not retried.
    private static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout.connect = .seconds(timeoutSeconds)
        configuration.timeout.read = .seconds(timeoutSeconds)
        // A refused connection is an answer: fail at once rather than retry until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    private static func describe(_ error: any Error) -> String {
        let text = String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }

    private static func readFile(path: String) throws(KeySetError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = Glibc.read(descriptor, &chunk, chunk.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
            if bytes.count > maxBytes { throw .tooLarge(limit: maxBytes) }
        }
    }
}
