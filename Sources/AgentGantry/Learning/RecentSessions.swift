/// Per-session state (the last routed intent, the last executed tool) for the most recently
/// active sessions only: sessions never end explicitly, so an unbounded map would grow for as
/// long as the process runs (the soak showed ~4 MB a minute at 3,000 calls/s). When `capacity`
/// is exceeded, the least recently written half is dropped (amortised O(1) per write).
struct RecentSessions<Value: Sendable>: Sendable {
    let capacity: Int
    private var entries: [String: (value: Value, written: UInt64)] = [:]
    private var clock: UInt64 = 0

    init(capacity: Int = 10_000) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    var count: Int { entries.count }

    subscript(session: String) -> Value? {
        get { entries[session]?.value }
        set {
            guard let newValue else { entries[session] = nil; return }
            clock += 1
            entries[session] = (newValue, clock)
            if entries.count > capacity { dropOldestHalf() }
        }
    }

    private mutating func dropOldestHalf() {
        let cutoff = entries.values.map(\.written).sorted()[entries.count / 2]
        entries = entries.filter { $0.value.written >= cutoff }
    }
}
