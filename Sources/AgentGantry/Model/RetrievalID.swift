/// Names one `retrieveTools` call, so that what the agent did with its result — the tool it
/// selected, how the call went, a correction — can be reported against it
/// (`AgentGantry.recordSelection(retrieval:tool:context:)`) and learned from.
///
/// Unique within a store across processes and hosts: a process reserves a block of 2³² ids from
/// the store at its first retrieval (`GantryStore.reserveRetrievalBlock()`, in the background)
/// and counts within it, so no coordination happens per call; until the block arrives, or where
/// the store cannot reserve one, ids come from a block drawn at random from numbers no store
/// reserves. Its text form (`description`) is 16 lowercase hexadecimal digits, for passing
/// through JSON or HTTP.
public struct RetrievalID: Hashable, Comparable, Sendable, Codable, LosslessStringConvertible {
    /// The id as stored: positive.
    public let rawValue: Int64

    /// The id of `rawValue`; nil unless positive.
    public init?(rawValue: Int64) {
        guard rawValue > 0 else { return nil }
        self.rawValue = rawValue
    }

    /// The id whose text form is `description` (16 lowercase hexadecimal digits); nil for any
    /// other text (a sign, capitals, another length).
    public init?(_ description: String) {
        guard description.utf8.count == 16, description.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }),
              let value = UInt64(description, radix: 16), let id = RetrievalID(rawValue: Int64(bitPattern: value)) else { return nil }
        self = id
    }

    /// The id at `counter` within the reserved `block`.
    init(block: Int64, counter: UInt32) {
        rawValue = block << 32 | Int64(counter)
    }

    /// 16 lowercase hexadecimal digits.
    public var description: String {
        let digits = String(UInt64(bitPattern: rawValue), radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Ordered by `rawValue`: within one process's block, in the order handed out.
    public static func < (a: RetrievalID, b: RetrievalID) -> Bool { a.rawValue < b.rawValue }

    /// Decodes the text form; throws `DecodingError.dataCorrupted` for any other value.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = RetrievalID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "a retrieval id is 16 hexadecimal digits, not \"\(text.prefix(40))\""))
        }
        self = id
    }

    /// Encodes the text form (a JSON string: JSON numbers lose 64-bit integers in many readers).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
