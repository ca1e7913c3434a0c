/// The documented maximums of the facade, enforced at every public entry point with
/// `GantryError.invalidInput` / `.invalidTool` naming the limit. They bound memory and time per
/// call; none of them is close to what a tool catalog or a request needs. Sizes are UTF-8 bytes,
/// checked before anything else reads the text: a character count is no bound (one character
/// can be any number of combining marks), and even normalising a huge text is the stall a limit
/// must prevent.
public enum Limits {
    /// UTF-8 bytes of a query (`retrieveTools`, `recordFeedback`); it may not be blank or hold NUL.
    public static let queryBytes = 32 << 10
    /// Tools registered in one `AgentGantry`.
    public static let tools = 200_000
    /// UTF-8 bytes of a tool name, as given and in NFC (no whitespace or control characters).
    public static let toolNameBytes = 256
    /// UTF-8 bytes of a tool description (it may be empty: the name is embedded with it).
    public static let descriptionBytes = 32 << 10
    /// Tags per tool (and per routing context), and UTF-8 bytes per tag.
    public static let tagsPerTool = 32, tagBytes = 256
    /// Usage examples per tool, and UTF-8 bytes per example (not blank, no NUL).
    public static let examplesPerTool = 20, exampleBytes = 4 << 10
    /// Bytes of a tool's parameter schema (as JSON), and its nesting depth.
    public static let schemaBytes = 64 << 10, schemaDepth = 32
    /// UTF-8 bytes of a user, team, session, namespace, intent or model name, as given and in NFC
    /// (no control characters).
    public static let contextBytes = 1 << 10
    /// Embedding dimensions an embedder may produce.
    public static let dimensions = 1...4_096
    /// Bytes of one `importEvents` call.
    public static let importBytes = 512 << 20

    /// Why a text is refused, worded to follow the field's name ("has 2000 bytes; …").
    struct Violation: Error {
        var reason: String
    }

    /// `name` in Unicode NFC (the form names are stored and compared in), once it holds 1 to
    /// `maxBytes` UTF-8 bytes, as given and in NFC, and no scalar that `refused` matches
    /// (`refusedWhat` says which in the message). The size is checked first, so an oversized name
    /// costs nothing to refuse.
    static func normalize(name: String, maxBytes: Int,
                          refusing refused: ScalarRule = .controlCharacters,
                          refusedWhat: String = "control characters") throws(Violation) -> String
    {
        let bytes = name.utf8.count
        guard bytes <= maxBytes else { throw Violation(reason: "has \(bytes) bytes; the limit is \(maxBytes)") }
        guard bytes > 0 else { throw Violation(reason: "is empty") }
        guard !refused.matchesAny(in: name) else { throw Violation(reason: "may not hold \(refusedWhat)") }
        let nfc = name.nfc
        guard nfc.utf8.count <= maxBytes else {
            throw Violation(reason: "has \(nfc.utf8.count) bytes in Unicode NFC; the limit is \(maxBytes)")
        }
        return nfc
    }

    /// Throws unless `text` (a query, an example) has at most `maxBytes` UTF-8 bytes (checked
    /// first), no NUL (SQLite would return it cut off there), and something besides whitespace,
    /// control and format characters (an empty text embeds to a vector that means nothing).
    static func check(text: String, maxBytes: Int) throws(Violation) {
        let bytes = text.utf8.count
        guard bytes <= maxBytes else { throw Violation(reason: "has \(bytes) bytes; the limit is \(maxBytes)") }
        guard !text.utf8.contains(0) else { throw Violation(reason: "holds a NUL character") }
        guard !isBlank(text) else { throw Violation(reason: "is empty or blank") }
    }

    /// Whether `text` has nothing to embed: it is empty or holds only whitespace, control and
    /// format characters, marks with no base (combining marks, variation selectors), private-use
    /// and unassigned code points and U+FFFD (what a decoder puts for bytes it could not read):
    /// the tokenizer keeps nothing of them — the rule for queries, examples and the texts of
    /// `gantry embed`.
    public static func isBlank(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy {
            $0.properties.isWhitespace || $0 == "\u{FFFD}"
                || [.control, .format, .nonspacingMark, .enclosingMark, .privateUse, .unassigned].contains($0.properties.generalCategory)
        }
    }

    /// `value` (when present) in NFC, once it is a valid name of at most `maxBytes`; `field`
    /// names it in the message.
    static func name(_ value: String?, _ field: String, maxBytes: Int = contextBytes) throws(GantryError) -> String? {
        guard let value else { return nil }
        do { return try normalize(name: value, maxBytes: maxBytes) } catch { throw .invalidInput("\(field) \(error.reason)") }
    }

    /// A tool name given to look a tool up, in NFC. One over `toolNameBytes` cannot be registered;
    /// it is refused before it is normalised or hashed.
    static func toolName(_ name: String) throws(GantryError) -> String {
        guard name.utf8.count <= toolNameBytes else {
            throw .invalidInput("a tool name has at most \(toolNameBytes) bytes; this one has \(name.utf8.count)")
        }
        return name.nfc
    }

    /// Throws unless `query` is a valid text of at most `queryBytes`.
    static func checkQuery(_ query: String) throws(GantryError) {
        do { try check(text: query, maxBytes: queryBytes) } catch { throw .invalidInput("the query \(error.reason)") }
    }

    /// `context` with its names in NFC, once every name is valid and its budget positive.
    static func normalized(_ context: RoutingContext) throws(GantryError) -> RoutingContext {
        guard context.tags.count <= tagsPerTool else { throw .invalidInput("at most \(tagsPerTool) tags in a routing context") }
        var normalized = context
        normalized.user = try name(context.user, "user")
        normalized.team = try name(context.team, "team")
        normalized.session = try name(context.session, "session")
        normalized.namespace = try name(context.namespace, "namespace")
        normalized.tags = []
        for tag in context.tags { normalized.tags.insert(try name(tag, "tag", maxBytes: tagBytes)!) }
        if let budget = context.latencyBudget, budget <= .zero { throw .invalidInput("latencyBudget must be positive") }
        return normalized
    }

    /// Throws unless `vector` has `dimension` finite values, not all zero (a zero vector has no
    /// direction to score; any other, however tiny or large its values, is scaled to unit length).
    static func checkVector(_ vector: [Float], dimension: Int, _ what: String) throws(GantryError) {
        guard vector.count == dimension else {
            throw .invalidInput("\(what) has \(vector.count) values; the model's dimension is \(dimension)")
        }
        guard vector.allSatisfy(\.isFinite) else { throw .invalidInput("\(what) holds NaN or infinite values") }
        guard vector.contains(where: { $0 != 0 }) else {
            throw .invalidInput("\(what) is all zeros, so it has no direction to compare; check the embedder")
        }
    }
}
