import AgentGantry
import NIOCore

extension JSONValue {
    /// The value as compact JSON (RFC 8259) in UTF-8: object keys in code-point order, strings
    /// escaped as JSON requires (`"`, `\`, control characters) and otherwise written as they
    /// are, integral numbers below 2⁵³ as integers, other numbers as Swift's shortest
    /// round-tripping form, non-finite numbers (which JSON cannot hold) as `null`.
    /// `JSONEncoder` took about as long as the retrieval itself for an answer carrying tool
    /// schemas (a generic `Codable` walk through containers per value); this writer goes
    /// through the value once into one buffer.
    func writeJSON(into buffer: inout ByteBuffer) {
        switch self {
        case .null: buffer.writeStaticString("null")
        case .bool(let value): buffer.writeStaticString(value ? "true" : "false")
        case .number(let value): Self.writeNumber(value, into: &buffer)
        case .string(let value): Self.writeString(value, into: &buffer)
        case .array(let values):
            buffer.writeInteger(UInt8(ascii: "["))
            for (position, value) in values.enumerated() {
                if position > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
                value.writeJSON(into: &buffer)
            }
            buffer.writeInteger(UInt8(ascii: "]"))
        case .object(let members):
            buffer.writeInteger(UInt8(ascii: "{"))
            for (position, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if position > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
                Self.writeString(member.key, into: &buffer)
                buffer.writeInteger(UInt8(ascii: ":"))
                member.value.writeJSON(into: &buffer)
            }
            buffer.writeInteger(UInt8(ascii: "}"))
        }
    }

    /// The value as compact JSON in a new buffer (`writeJSON(into:)`).
    var jsonBuffer: ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 1024)
        writeJSON(into: &buffer)
        return buffer
    }

    private static func writeNumber(_ value: Double, into buffer: inout ByteBuffer) {
        if !value.isFinite {
            buffer.writeStaticString("null")
        } else if value.rounded() == value, abs(value) < 9_007_199_254_740_992 {
            buffer.writeString(String(Int64(value)))
        } else {
            buffer.writeString(value.description)
        }
    }

    /// `text` as a JSON string: runs that need no escape copied whole.
    private static func writeString(_ text: String, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var runStart = 0
            for (position, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[runStart..<position]))
                runStart = position + 1
                switch byte {
                case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case 0x0A: buffer.writeStaticString("\\n")
                case 0x0D: buffer.writeStaticString("\\r")
                case 0x09: buffer.writeStaticString("\\t")
                case 0x08: buffer.writeStaticString("\\b")
                case 0x0C: buffer.writeStaticString("\\f")
                default:
                    let hex: StaticString = "0123456789abcdef"
                    buffer.writeStaticString("\\u00")
                    buffer.writeInteger(hex.utf8Start[Int(byte >> 4)])
                    buffer.writeInteger(hex.utf8Start[Int(byte & 0x0F)])
                }
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[runStart...]))
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }
}
