/// A caller-chosen, stable identifier of an indexed vector: a number or a name (a tool id).
public enum VectorID: Hashable, Sendable, CustomStringConvertible, ExpressibleByIntegerLiteral,
    ExpressibleByStringLiteral
{
    case number(Int64)
    case name(String)

    public init(integerLiteral value: Int64) { self = .number(value) }
    public init(stringLiteral value: String) { self = .name(value) }

    public var description: String {
        switch self {
        case .number(let value): "\(value)"
        case .name(let value): "\"\(value)\""
        }
    }
}
