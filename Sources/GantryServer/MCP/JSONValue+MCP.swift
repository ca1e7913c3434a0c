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

extension Value {
    /// The same JSON as AgentGantry's `JSONValue` (data as its data URL, a string).
    var jsonValue: JSONValue {
        switch self {
        case .null: .null
        case .bool(let value): .bool(value)
        case .int(let value): .number(Double(value))
        case .double(let value): .number(value)
        case .string(let value): .string(value)
        case .data(let mimeType, let data): .string("data:\(mimeType ?? "application/octet-stream");base64,\(data.base64EncodedString())")
        case .array(let values): .array(values.map(\.jsonValue))
        case .object(let fields): .object(fields.mapValues(\.jsonValue))
        }
    }
}
