/// A caller-chosen, stable identifier of an indexed vector: a number or a name (a tool id).
public enum VectorID: Hashable, Sendable, CustomStringConvertible, ExpressibleByIntegerLiteral,
    ExpressibleByStringLiteral
{
    /// A numeric id, such as a row number (`VectorID` literal `7`).
    case number(Int64)
    /// A textual id, such as a tool's name (`VectorID` literal `"cancel_subscription"`).
    case name(String)

    /// `.number(value)`, so that `7` can stand for an id.
    public init(integerLiteral value: Int64) { self = .number(value) }
    /// `.name(value)`, so that `"cancel_subscription"` can stand for an id.
    public init(stringLiteral value: String) { self = .name(value) }

    /// The number as digits, or the name in double quotes (`"cancel_subscription"`), as error
    /// messages print ids.
    public var description: String {
        switch self {
        case .number(let value): "\(value)"
        case .name(let value): "\"\(value)\""
        }
    }
}
