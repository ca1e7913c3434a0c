import AgentGantry

/// Tool names as the model providers accept them. OpenAI and Anthropic both require a function
/// name to match `^[A-Za-z0-9_-]{1,64}$`; AgentGantry's names may be longer and hold any
/// character (`search.web`, `github/create_issue`). A valid name is exported as itself; another
/// becomes its valid characters (others replaced by `_`, cut to 55) followed by `_` and the first
/// 8 hexadecimal digits of its SHA-256 — the same name on every server, with no table to store.
/// Reports may name a tool by either form (`resolve`).
enum ProviderNames {
    /// The name a provider accepts for the tool `name`.
    static func exported(_ name: String) -> String {
        if isValid(name) { return name }
        let kept = String(String.UnicodeScalarView(name.unicodeScalars.map { isAllowed($0) ? $0 : "_" }).prefix(55))
        return kept + "_" + String(SHA256.hex(name).prefix(8))
    }

    /// Whether `name` matches `^[A-Za-z0-9_-]{1,64}$`.
    static func isValid(_ name: String) -> Bool {
        (1...64).contains(name.unicodeScalars.count) && name.unicodeScalars.allSatisfy(isAllowed)
    }

    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-")
    }

    /// The registered names of exported names: a report naming a tool by either form finds it.
    struct Resolver: Sendable {
        /// The original name of each exported name that differs from it.
        private let originals: [String: String]
        private let names: Set<String>

        /// The resolver of the tools `names`.
        init(names: [String]) {
            self.names = Set(names)
            var originals = [String: String]()
            for name in names where !isValid(name) { originals[exported(name)] = name }
            self.originals = originals
        }

        /// The registered tool `name` stands for, nil when it names none.
        func resolve(_ name: String) -> String? {
            names.contains(name) ? name : originals[name]
        }
    }
}
