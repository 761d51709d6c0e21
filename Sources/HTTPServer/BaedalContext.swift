import Hummingbird
import NIOCore

/// The request context of Baedal's HTTP services: the body limit of the contract (64 KiB) and
/// the caller's address (so `/metrics` can stay on loopback).
public struct BaedalContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    public static let maxBodyBytes = 64 * 1024
    public var maxUploadSize: Int { Self.maxBodyBytes }
}
