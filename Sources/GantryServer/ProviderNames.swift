import AgentGantry
import Synchronization

/// Tool names as the model providers accept them. OpenAI and Anthropic both require a function
/// name to match `^[A-Za-z0-9_-]{1,64}$`; AgentGantry's names may be longer and hold any
/// character (`search.web`, `github/create_issue`). A valid name is exported as itself; another
/// becomes its valid characters (others replaced by `_`, cut to 47) followed by `_` and the first
/// 16 hexadecimal digits of its SHA-256 — the same name on every server, with no table to store;
/// two names meet on one only if their hashes do (64 bits: not to be found by search). A
/// registered name that is another tool's exported name is refused at registration
/// (`Endpoints.register`). Reports may name a tool by either form (`Resolver`).
enum ProviderNames {
    /// The name a provider accepts for the tool `name`.
    static func exported(_ name: String) -> String {
        if isValid(name) { return name }
        if let known = made.withLock({ $0[name] }) { return known }
        let kept = String(String.UnicodeScalarView(name.unicodeScalars.map { isAllowed($0) ? $0 : "_" }).prefix(47))
        let exported = kept + "_" + String(SHA256.hex(name).prefix(16))
        made.withLock { made in
            if made.count >= 65_536 { made.removeAll() }
            made[name] = exported
        }
        return exported
    }

    /// Exported names made lately (every answer exports its tools' names: a hash each).
    private static let made = Mutex([String: String]())

    /// Whether `name` matches `^[A-Za-z0-9_-]{1,64}$`.
    static func isValid(_ name: String) -> Bool {
        (1...64).contains(name.unicodeScalars.count) && name.unicodeScalars.allSatisfy(isAllowed)
    }

    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", "_", "-": true
        default: false
        }
    }

    /// The tools whose exported names differ from their own, by exported name.
    struct Resolver: Sendable {
        private let originals: [String: String]

        /// The resolver of the tools `names`.
        init(names: [String]) {
            var originals = [String: String]()
            for name in names where !isValid(name) { originals[exported(name)] = name }
            self.originals = originals
        }

        /// The tool exported as `name`, nil when none is.
        func original(of name: String) -> String? { originals[name] }
    }
}
