import NIOCore
import NIOPosix
import Synchronization

/// One value per event loop of a group (a connection, a pool): the caller's own loop's when the
/// caller runs on one of them, so its I/O never leaves that thread; else the next in turn.
public final class PerEventLoop<Element: Sendable>: Sendable {
    public let elements: [(eventLoop: any EventLoop, element: Element)]
    private let turn = Atomic<Int>(0)

    public init(group: any EventLoopGroup, _ make: (any EventLoop) -> Element) {
        elements = group.makeIterator().map { ($0, make($0)) }
        precondition(!elements.isEmpty, "an event loop group without loops")
    }

    public var current: Element {
        if let loop = MultiThreadedEventLoopGroup.currentEventLoop {
            for entry in elements where entry.eventLoop === loop { return entry.element }
        }
        return elements[(turn.add(1, ordering: .relaxed).newValue & Int.max) % elements.count].element
    }
}
