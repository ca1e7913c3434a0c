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
    /// read in one pass over the UTF-8 bytes: an e-mail address holds `@`; a phone number 9
    /// digits and a number 6 in a row (any non-ASCII character counts as a digit, since `\d`
    /// takes every script's); a token key is a run of 24 or more of `[-_A-Za-z0-9]` holding a
    /// digit; a prefixed key is one of the prefixes where a word may begin (after anything but
    /// an ASCII letter, digit or `_`) with 8 or more such characters after it. An ordinary long
    /// word ("recommendations") meets none of them. The placeholders put in add no digit and no
    /// run.
    static func mayHoldSomething(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            var digits = 0, digitsInARow = 0, runStart = -1, runHasDigit = false
            for i in bytes.indices {
                let byte = bytes[i]
                if byte == UInt8(ascii: "@") { return true }
                let digit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
                // A non-ASCII scalar counts once, at its lead byte; its other bytes change nothing.
                if byte & 0xC0 == 0x80 { continue }
                if digit || byte >= 0xC0 {
                    digits += 1
                    digitsInARow += 1
                    if digits >= 9 || digitsInARow >= 6 { return true }
                } else {
                    digitsInARow = 0
                }
                guard isKeyCharacter(byte) else {
                    runStart = -1
                    continue
                }
                if runStart < 0 { (runStart, runHasDigit) = (i, false) }
                runHasDigit = runHasDigit || digit
                if runHasDigit && i - runStart + 1 >= 24 { return true }
                if i == 0 || !isWordCharacter(bytes[i - 1]), startsPrefixedKey(bytes, at: i) { return true }
            }
            return false
        }
    }

    /// The prefixes of the prefixed-key pattern, as bytes.
    private static let keyPrefixes: [[UInt8]] = ["sk", "pk", "rk", "ghp", "gho", "ghs", "xoxa", "xoxb", "xoxp", "xoxr", "xoxs", "AKIA", "AIza"]
        .map { Array($0.utf8) }

    /// Whether a key prefix starts at `start`, followed by at least 8 key characters.
    private static func startsPrefixedKey(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> Bool {
        keyPrefixes.contains { prefix in
            guard start + prefix.count + 8 <= bytes.count,
                  prefix.indices.allSatisfy({ bytes[start + $0] == prefix[$0] }) else { return false }
            return (start + prefix.count..<start + prefix.count + 8).allSatisfy { isKeyCharacter(bytes[$0]) }
        }
    }

    /// `[-_A-Za-z0-9]`.
    private static func isKeyCharacter(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "-") || isWordCharacter(byte)
    }

    /// `[_A-Za-z0-9]`: a byte after which no word boundary can fall before an ASCII letter
    /// (a non-ASCII letter may be a word character to the regular expressions too, so a byte of
    /// one counts as a boundary here: the check stays necessary).
    private static func isWordCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "_"): true
        default: false
        }
    }
}
