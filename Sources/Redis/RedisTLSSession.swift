import CHiredis
import CRedisTLS
import Synchronization

/// The OpenSSL client contexts of a process, one per `RedisTLS` (its files are read once, at
/// the first connection that needs them), and the session of one blocking connection.
enum RedisTLSSession {
    private final class Context: @unchecked Sendable {  // SSL_CTX is safe to share once set up
        let pointer: OpaquePointer
        init(_ pointer: OpaquePointer) { self.pointer = pointer }
        deinit { baedal_tls_context_free(pointer) }
    }

    private static let contexts = Mutex<[RedisTLS: Context]>([:])

    private static func context(for tls: RedisTLS, endpoint: String) throws(RedisError) -> OpaquePointer {
        let result = contexts.withLock { contexts -> Result<Context, RedisError> in
            if let context = contexts[tls] { return .success(context) }
            var error = [CChar](repeating: 0, count: 512)
            let made = error.withUnsafeMutableBufferPointer { buffer in
                baedal_tls_context(tls.caFile, tls.certificateFile, tls.keyFile, buffer.baseAddress, buffer.count)
            }
            guard let made else {
                // A file that cannot be used is the configuration's fault, like an untrusted server.
                return .failure(.tlsRefused(endpoint: endpoint, reason: Self.text(error)))
            }
            let context = Context(made)
            contexts[tls] = context
            return .success(context)
        }
        return try result.get().pointer
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The TLS handshake on the context's connected socket; the session to read and write with.
    static func handshake(_ context: UnsafeMutablePointer<redisContext>, tls: RedisTLS, host: String, endpoint: String) throws(RedisError) -> OpaquePointer {
        let ctx = try Self.context(for: tls, endpoint: endpoint)
        var refused: Int32 = 0
        var error = [CChar](repeating: 0, count: 512)
        let session = error.withUnsafeMutableBufferPointer { buffer in
            baedal_tls_handshake(ctx, context.pointee.fd, host, RedisTLS.isIPAddress(host) ? 1 : 0, &refused, buffer.baseAddress, buffer.count)
        }
        guard let session else {
            let reason = Self.text(error)
            throw refused != 0 ? .tlsRefused(endpoint: endpoint, reason: reason) : .connectionFailed(endpoint: endpoint, reason: reason)
        }
        return session
    }
}
