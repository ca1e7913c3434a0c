import AgentGantry
import Foundation

/// Which tenant a bearer token belongs to. The tokens file holds no token, only its SHA-256 —
/// a stolen file opens nothing:
///
/// ```json
/// {"tokens": [{"sha256": "9f86d081884c7d65…", "tenant": "acme"}]}
/// ```
///
/// `gantry serve token --tenant acme --tokens tokens.json` makes a token and adds its line.
/// Several tokens may name one tenant (rotation: add the new one, then remove the old).
public struct TenantTokens: Sendable {
    /// Tenant per token digest (64 lowercase hexadecimal digits).
    private let tenants: [String: String]

    /// The tokens of `json` (the file's contents); throws `GantryError.invalidInput` naming what
    /// is wrong: not JSON of that shape, a digest that is not 64 hexadecimal digits, a digest
    /// given twice, a tenant name that is not one (`Self.checkTenant`).
    public init(json: Data) throws(GantryError) {
        struct File: Decodable {
            struct Entry: Decodable {
                var sha256: String
                var tenant: String
            }
            var tokens: [Entry]
        }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: json) } catch {
            throw .invalidInput(#"the tokens file must be {"tokens": [{"sha256": HEX, "tenant": NAME}, …]}: \#(error)"#)
        }
        var tenants = [String: String]()
        for (line, entry) in file.tokens.enumerated() {
            let digest = entry.sha256.lowercased()
            guard digest.count == 64, digest.allSatisfy(\.isHexDigit) else {
                throw .invalidInput("tokens[\(line)]: sha256 must be 64 hexadecimal digits (the SHA-256 of the token)")
            }
            try Self.checkTenant(entry.tenant)
            guard tenants.updateValue(entry.tenant, forKey: digest) == nil else { throw .invalidInput("tokens[\(line)]: this sha256 is given twice") }
        }
        self.tenants = tenants
    }

    /// The tokens of the file at `path`.
    public init(contentsOf path: String) throws(GantryError) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .invalidInput("cannot read the tokens file \(path): \(error.localizedDescription)")
        }
        try self.init(json: data)
    }

    /// The tenant of `token`, nil for a token the file does not name. Every digest is compared
    /// in full (the time does not tell how much of a guess matched).
    public func tenant(of token: String) -> String? {
        let digest = Array(SHA256.hex(token).utf8)
        var found: String?
        for (known, tenant) in tenants where Self.equalInConstantTime(Array(known.utf8), digest) { found = tenant }
        return found
    }

    /// The tenants named, sorted.
    public var tenantNames: [String] { Set(tenants.values).sorted() }

    /// Throws unless `name` is a tenant name: 1 to 48 of `a`–`z`, `0`–`9` and `_`, starting with
    /// a letter or digit (it names a file and a PostgreSQL schema).
    public static func checkTenant(_ name: String) throws(GantryError) {
        let valid = (1...48).contains(name.utf8.count) && name.utf8.first.map { $0 != UInt8(ascii: "_") } == true
            && name.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_") }
        guard valid else {
            throw .invalidInput("\"\(name)\" is not a tenant name: 1 to 48 of a-z, 0-9 and _, starting with a letter or digit")
        }
    }

    /// A new random token (32 bytes from the system's generator, base64url) and the entry that
    /// names it in a tokens file.
    public static func newToken() -> (token: String, sha256: String) {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let token = "gt_" + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return (token, SHA256.hex(token))
    }

    private static func equalInConstantTime(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
