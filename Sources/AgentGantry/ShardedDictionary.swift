/// A `[String: Value]` split by the key's hash into `shardCount` dictionaries. The learned state
/// and the tool catalogue are shared with every published snapshot, so the first write after a
/// publication copies what it writes to: one shard here, where a plain dictionary of 10,000
/// tools' health was copied whole after each group commit (6% of an open-loop run's CPU,
/// copying and freeing), and the whole catalogue at each tool update.
struct ShardedDictionary<Value: Sendable>: Sendable {
    static var shardCount: Int { 64 }

    private var shards = [[String: Value]](repeating: [:], count: Self.shardCount)

    /// The shard of `key` (hash values are seeded per process: shards are never stored).
    private static func shard(of key: String) -> Int { Int(UInt(bitPattern: key.hashValue) % UInt(shardCount)) }

    subscript(key: String) -> Value? {
        get { shards[Self.shard(of: key)][key] }
        set { shards[Self.shard(of: key)][key] = newValue }
    }

    subscript(key: String, default defaultValue: @autoclosure () -> Value) -> Value {
        get { shards[Self.shard(of: key)][key] ?? defaultValue() }
        _modify { yield &shards[Self.shard(of: key)][key, default: defaultValue()] }
    }

    /// Every key, shard by shard (no particular order).
    var keys: some Sequence<String> { shards.lazy.flatMap(\.keys) }

    /// Every value, in the order of `keys`.
    var values: some Sequence<Value> { shards.lazy.flatMap(\.values) }

    /// Makes room for about `count` keys in all.
    mutating func reserveCapacity(_ count: Int) {
        for shard in shards.indices { shards[shard].reserveCapacity(count / Self.shardCount + count / (4 * Self.shardCount) + 1) }
    }
}
