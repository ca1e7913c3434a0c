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
        var result = text
        for (pattern, replacement) in patterns {
            result = pattern.stringByReplacingMatches(in: result, range: NSRange(result.startIndex..., in: result), withTemplate: replacement)
        }
        return result
    }
}
