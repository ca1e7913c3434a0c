import Foundation

/// Removes what must not be stored from query text: e-mail addresses, phone numbers, runs of 6+
/// digits and API-key-like tokens become placeholders.
public enum Redaction {
    private static let patterns: [(NSRegularExpression, String)] = [
        (#"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"#, "[email]"),
        (#"\b(?:sk|pk|rk|ghp|gho|ghs|xox[abprs]|AKIA|AIza)[-_A-Za-z0-9]{8,}"#, "[key]"),
        (#"\b(?=[A-Za-z0-9_\-]*[0-9])(?=[A-Za-z0-9_\-]*[A-Za-z])[A-Za-z0-9_\-]{24,}\b"#, "[key]"),
        (#"\+?\(?\d{1,4}\)?[\s.-]?\(?\d{2,4}\)?[\s.-]\d{3,4}[\s.-]\d{3,4}\b"#, "[phone]"),
        (#"\d{6,}"#, "[number]"),
    ].map { (try! NSRegularExpression(pattern: $0.0), $0.1) }

    /// `text` with e-mail addresses, API keys, phone numbers and long digit runs replaced by
    /// `[email]`, `[key]`, `[phone]` and `[number]`.
    public static func redact(_ text: String) -> String {
        mayHoldSomething(text) ? replacingMatches(in: text) : text
    }

    /// `text` with every pattern's matches replaced (`redact(_:)` without its quick check).
    static func replacingMatches(in text: String) -> String {
        var result = text
        for (pattern, replacement) in patterns {
            result = pattern.stringByReplacingMatches(in: result, range: NSRange(result.startIndex..., in: result), withTemplate: replacement)
        }
        return result
    }

    /// Whether any pattern could match `text` — false for most queries, which then skip the
    /// regular expressions (they cost more than routing a cached query). Necessary conditions,
    /// read in one pass: an e-mail address holds `@`; a key a run of 10 or more of
    /// `[-_A-Za-z0-9]`; a phone number 9 digits, a number 6 (any non-ASCII character counts as a
    /// digit, since `\d` takes every script's). The placeholders put in add no digit and no run.
    static func mayHoldSomething(_ text: String) -> Bool {
        var digits = 0, run = 0
        for scalar in text.unicodeScalars {
            switch scalar {
            case "@": return true
            case "0"..."9":
                digits += 1
                run += 1
            case "A"..."Z", "a"..."z", "_", "-": run += 1
            default:
                if !scalar.isASCII { digits += 1 }
                run = 0
            }
            if digits >= 6 || run >= 10 { return true }
        }
        return false
    }
}
