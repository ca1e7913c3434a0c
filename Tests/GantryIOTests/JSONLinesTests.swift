import GantryIO
import Testing

@Test func jsonLinesKeepLineNumbersAndSkipBlankLines() {
    let text = "{\"a\": 1}\n\n  \t\r\n{\"b\": 2}\r\n{\"c\": 3}"
    let lines = JSONLines.lines(of: Array(text.utf8))
    #expect(lines.map(\.number) == [1, 4, 5])
    #expect(lines.map { String(decoding: $0.bytes, as: UTF8.self) } == ["{\"a\": 1}", "{\"b\": 2}\r", "{\"c\": 3}"])
    #expect(JSONLines.lines(of: []).isEmpty)
    #expect(JSONLines.lines(of: Array("\n\n".utf8)).isEmpty)
}
