import Contract

/// One consumer of a group on `InMemoryStreams`: the runtime's transport without Redis, for the
/// suite every transport must pass and for tests of the policies' wiring.
public struct InMemoryGroupTransport: GroupTransport {
    let store: InMemoryStreams
    public let group: String
    public let consumer: String
    public let streams: [String]
    let keys: Keys

    private var now: Int64 { store.clock() }

    public func ensureGroups() async throws -> [(stream: String, creation: GroupRecords.Creation)] {
        let (group, now) = (self.group, UInt64(clamping: now))
        return try streams.map { stream throws(TransportFailure) in
            try store.withState { state throws(TransportFailure) in
                if state.groups[stream]?[group] != nil { return (stream, .existed) }
                if case .some(let value) = state.values[stream], case .stream = value {} else if state.values[stream] != nil {
                    throw .refused("WRONGTYPE \(stream) is not a stream")
                }
                let at = state.positions[group]?[stream]
                state.groups[stream, default: [:]][group] = InMemoryStreams.Group(lastDelivered: at ?? StreamID(milliseconds: 0, sequence: 0))
                state.values[stream] = .stream
                // The pending list is gone with the group: retries at or below the watermark are
                // appended again for this group alone; every retry of the stream is stale.
                var replayed = 0
                let book = state.retryBooks[group, default: [:]]
                for (field, entry) in book where entry.stream == stream {
                    if let at, let id = StreamID(entry.id), id <= at,
                       let original = state.streams[stream]?.first(where: { $0.id == id }) {
                        let fields = original.fields.filter { $0.name != DeadLetter.replayField } + [StreamField(DeadLetter.replayField, group)]
                        _ = InMemoryStreams.append(stream, fields, now: now, to: &state)
                        replayed += 1
                    }
                    state.retryBooks[group]?[field] = nil
                }
                return (stream, .created(position: at?.description ?? "0", replayed: replayed))
            }
        }
    }

    public func readNew(count: Int, blockMilliseconds: Int) async throws -> [StreamMessage] {
        // A test double: it looks again every few milliseconds, up to the block time.
        let deadline = ContinuousClock.now + .milliseconds(blockMilliseconds)
        while true {
            let messages = try read(count: count)
            if !messages.isEmpty || ContinuousClock.now >= deadline { return messages }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    private func read(count: Int) throws(TransportFailure) -> [StreamMessage] {
        let (group, consumer, now) = (self.group, self.consumer, self.now)
        return try store.withState { state throws(TransportFailure) in
            var messages: [StreamMessage] = []
            for stream in streams {
                guard var record = state.groups[stream]?[group] else { throw .groupMissing("no group \(group) on \(stream)") }
                for entry in state.streams[stream, default: []] where entry.id > record.lastDelivered && messages.count < count {
                    record.lastDelivered = entry.id
                    record.pending[entry.id] = InMemoryStreams.Pending(consumer: consumer, deliveredAt: now, count: 1)
                    messages.append(StreamMessage(stream: stream, id: entry.id.description, fields: entry.fields, deliveries: 1))
                }
                state.groups[stream]?[group] = record
            }
            return messages
        }
    }

    public func interrupt() {}

    public func claimIdle(stream: String, minIdleMilliseconds: Int, count: Int, from start: String) async throws
        -> (next: String, ids: [String], removed: [String]) {
        let (group, consumer, now) = (self.group, self.consumer, self.now)
        return try store.withState { state throws(TransportFailure) in
            guard var record = state.groups[stream]?[group] else { throw .groupMissing("no group \(group) on \(stream)") }
            let from = StreamID(start) ?? StreamID(milliseconds: 0, sequence: 0)
            let present = Set(state.streams[stream, default: []].map(\.id))
            var ids: [String] = [], removed: [String] = []
            var next = "0-0"
            for id in record.pending.keys.sorted() where id >= from {
                guard let pending = record.pending[id], now - pending.deliveredAt >= Int64(minIdleMilliseconds) else { continue }
                if ids.count + removed.count == count { next = id.description; break }
                if present.contains(id) {
                    record.pending[id] = InMemoryStreams.Pending(consumer: consumer, deliveredAt: now, count: pending.count)
                    ids.append(id.description)
                } else {
                    record.pending[id] = nil
                    removed.append(id.description)
                }
            }
            state.groups[stream]?[group] = record
            return (next, ids, removed)
        }
    }

    public func redeliver(_ ids: [String], stream: String) async throws -> (messages: [StreamMessage], gone: [String]) {
        let (group, consumer, now) = (self.group, self.consumer, self.now)
        return try store.withState { state throws(TransportFailure) in
            guard var record = state.groups[stream]?[group] else { throw .groupMissing("no group \(group) on \(stream)") }
            var messages: [StreamMessage] = [], gone: [String] = []
            for text in ids {
                guard let id = StreamID(text), let pending = record.pending[id],
                      let entry = state.streams[stream]?.first(where: { $0.id == id }) else {
                    gone.append(text)
                    continue
                }
                record.pending[id] = InMemoryStreams.Pending(consumer: consumer, deliveredAt: now, count: pending.count + 1)
                messages.append(StreamMessage(stream: stream, id: text, fields: entry.fields, deliveries: pending.count + 1))
            }
            state.groups[stream]?[group] = record
            return (messages, gone)
        }
    }

    public func keep(_ ids: [String], stream: String) async throws -> Set<String> {
        let (group, consumer, now) = (self.group, self.consumer, self.now)
        return try store.withState { state throws(TransportFailure) in
            guard var record = state.groups[stream]?[group] else { throw .groupMissing("no group \(group) on \(stream)") }
            var kept = Set<String>()
            for text in ids {
                guard let id = StreamID(text), let pending = record.pending[id] else { continue }
                record.pending[id] = InMemoryStreams.Pending(consumer: consumer, deliveredAt: now, count: pending.count)
                kept.insert(text)
            }
            state.groups[stream]?[group] = record
            return kept
        }
    }

    public func acknowledge(_ ids: [String], stream: String) async throws {
        let group = self.group
        try store.withState { state throws(TransportFailure) in
            for id in ids.compactMap({ StreamID($0) }) { state.groups[stream]?[group]?.pending[id] = nil }
        }
    }

    public func ownPending(stream: String, after: String?, count: Int) async throws -> [String] {
        let (group, consumer) = (self.group, self.consumer)
        return try store.withState { state throws(TransportFailure) in
            guard let record = state.groups[stream]?[group] else { throw .groupMissing("no group \(group) on \(stream)") }
            let from = after.flatMap { StreamID($0) }
            return record.pending.filter { id, pending in pending.consumer == consumer && (from.map { id > $0 } ?? true) }
                .keys.sorted().prefix(count).map(\.description)
        }
    }

    public func recordRetries(_ entries: [RetryBook.Entry]) async throws {
        let group = self.group
        try store.withState { state throws(TransportFailure) in
            for entry in entries { state.retryBooks[group, default: [:]][RetryBook.field(stream: entry.stream, id: entry.id)] = entry }
        }
    }

    public func retries(_ ids: [String], stream: String) async throws -> [RetryBook.Entry?] {
        let group = self.group
        return try store.withState { state throws(TransportFailure) in
            ids.map { state.retryBooks[group]?[RetryBook.field(stream: stream, id: $0)] }
        }
    }

    public func clearRetries(_ messages: [(stream: String, id: String)]) async throws {
        let group = self.group
        try store.withState { state throws(TransportFailure) in
            for message in messages { state.retryBooks[group]?[RetryBook.field(stream: message.stream, id: message.id)] = nil }
        }
    }

    /// The apply script's semantics: ownership first (nothing written if a message is not this
    /// consumer's), then the once-only record, then every key's type and every increment checked
    /// before the first write, then the writes, the record and the acknowledgement.
    public func apply(_ handled: [Handled]) async throws -> Applied {
        let (group, consumer) = (self.group, self.consumer)
        let now = UInt64(clamping: self.now)
        var remaining = handled
        var skipped: [Handled] = [], duplicates: [Handled] = []
        return try store.withState { state throws(TransportFailure) in
            if state.refusingWrites {
                state.refusedApplies += 1
                throw .unavailable("refusing writes (a failover under way)")
            }
            for index in remaining.indices.reversed() {
                let message = remaining[index]
                guard let record = state.groups[message.stream]?[group] else { throw .groupMissing("no group \(group) on \(message.stream)") }
                guard let id = StreamID(message.id), record.pending[id]?.consumer == consumer else {
                    skipped.insert(remaining.remove(at: index), at: 0)
                    continue
                }
                if !message.effects.isEmpty, state.applied[group]?[message.stream]?.contains(id) == true {
                    duplicates.insert(message, at: 0)
                    remaining[index].effects = .none
                }
            }
            // Every key's type, and every increment, before anything is written.
            var types: [String: Effects.KeyType] = [:]
            var sums: [String: [String: Int]] = [:]
            for write in remaining.flatMap(\.effects.writes) {
                if let seen = types[write.key], seen != write.keyType { throw .refused("WRONGTYPE \(write.key) used as a \(seen) and as a \(write.keyType)") }
                types[write.key] = write.keyType
                if case .increment(let key, let field, let delta) = write {
                    let current: Int
                    if case .hash(let hash) = state.values[key] { current = hash[field] ?? 0 } else { current = 0 }
                    let (sum, overflow) = (sums[key]?[field] ?? current).addingReportingOverflow(delta)
                    if overflow { throw .refused("ERR incrementing \(key) field \(field) would overflow") }
                    sums[key, default: [:]][field] = sum
                }
            }
            for (key, type) in types {
                switch (state.values[key], type) {
                case (nil, _), (.hash?, .hash), (.zset?, .zset), (.list?, .list), (.stream?, .stream): continue
                default: throw .refused("WRONGTYPE \(key) is not a \(type)")
                }
            }
            for write in remaining.flatMap(\.effects.writes) {
                switch write {
                case .increment(let key, let field, let delta):
                    guard case .hash(var hash) = state.values[key] ?? .hash([:]) else { continue }
                    hash[field, default: 0] += delta
                    state.values[key] = .hash(hash)
                case .append(let stream, let fields):
                    _ = InMemoryStreams.append(stream, fields, now: now, to: &state)
                case .add(let key, let member, let score):
                    guard case .zset(var set) = state.values[key] ?? .zset([:]) else { continue }
                    set[member] = score
                    state.values[key] = .zset(set)
                case .remove(let key, let member):
                    guard case .zset(var set) = state.values[key] ?? .zset([:]) else { continue }
                    set[member] = nil
                    state.values[key] = set.isEmpty ? nil : .zset(set)
                case .push(let key, let value):
                    guard case .list(var list) = state.values[key] ?? .list([]) else { continue }
                    list.insert(value, at: 0)
                    state.values[key] = .list(list)
                case .trim(let key, let keep):
                    guard case .list(let list) = state.values[key] ?? .list([]) else { continue }
                    state.values[key] = list.isEmpty ? nil : .list(Array(list.prefix(max(1, keep))))
                case .expire:
                    continue  // nothing here lives long enough to expire
                }
            }
            for message in remaining {
                guard let id = StreamID(message.id) else { continue }
                if !message.effects.isEmpty { state.applied[group, default: [:]][message.stream, default: []].insert(id) }
                if message.redelivered { state.retryBooks[group]?[RetryBook.field(stream: message.stream, id: message.id)] = nil }
                state.groups[message.stream]?[group]?.pending[id] = nil
            }
            return Applied(acknowledged: remaining.count, skipped: skipped, duplicates: duplicates)
        }
    }

    /// The watermark script's semantics: just before the oldest pending entry not in the retry
    /// book, else the last delivered id; never backwards; the once-only record trimmed behind it.
    public func recordWatermarks() async throws {
        let group = self.group
        try store.withState { state throws(TransportFailure) in
            for stream in streams {
                guard let record = state.groups[stream]?[group] else { continue }
                let book = state.retryBooks[group, default: [:]]
                let waiting = record.pending.keys.sorted().first { book[RetryBook.field(stream: stream, id: $0.description)] == nil }
                var mark = waiting.map { $0.sequence > 0 ? StreamID(milliseconds: $0.milliseconds, sequence: $0.sequence - 1)
                    : StreamID(milliseconds: $0.milliseconds &- 1, sequence: .max) } ?? record.lastDelivered
                if let recorded = state.positions[group]?[stream], recorded > mark { mark = recorded }
                state.positions[group, default: [:]][stream] = mark
                let kept = state.applied[group]?[stream]?.filter { $0.milliseconds >= mark.milliseconds }
                state.applied[group]?[stream] = kept
            }
        }
    }

    public func gauges() async -> [GroupGauge] {
        let group = self.group
        return (try? store.withState { state throws(TransportFailure) in
            streams.compactMap { stream -> GroupGauge? in
                guard let record = state.groups[stream]?[group] else { return nil }
                let lag = state.streams[stream, default: []].filter { $0.id > record.lastDelivered }.count
                let oldest = record.pending.keys.min().flatMap { Int64(exactly: $0.milliseconds) }
                return GroupGauge(stream: stream, lag: lag, pending: record.pending.count, oldestPendingAt: oldest)
            }
        }) ?? []
    }

    public func close() {}
}
