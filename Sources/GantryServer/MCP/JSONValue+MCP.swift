import AgentGantry
import MCP

extension JSONValue {
    /// The same JSON as the MCP SDK's `Value` (a whole number within `Int` as `.int`).
    var mcpValue: Value {
        switch self {
        case .null: .null
        case .bool(let value): .bool(value)
        case .number(let value):
            if value.rounded() == value, abs(value) < 0x1p53 { .int(Int(value)) } else { .double(value) }
        case .string(let value): .string(value)
        case .array(let values): .array(values.map(\.mcpValue))
        case .object(let fields): .object(fields.mapValues(\.mcpValue))
        }
    }
}
