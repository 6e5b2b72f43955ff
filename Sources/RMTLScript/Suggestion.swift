/// "Did you mean" suggestions, from the names valid at that point only.
public enum Suggestion {
    /// Optimal string alignment distance (Damerau–Levenshtein with adjacent swaps counted once).
    ///
    /// Examples: `esm`→`esmm` is 1 (insert), `mmeo`→`mmoe` is 1 (swap), `critc`→`critic` is 1,
    /// `ple`→`aitm` is 4. Cost O(a·b) time, O(b) memory per row kept (three rows).
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var prev2 = [Int](repeating: 0, count: y.count + 1)
        var prev = Array(0...y.count)
        var row = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            row[0] = i
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                var v = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { v = min(v, prev2[j - 2] + 1) }
                row[j] = v
            }
            (prev2, prev, row) = (prev, row, prev2)
        }
        return prev[y.count]
    }

    /// The largest distance still offered as a suggestion: `max(2, word.count / 3)`. Short words
    /// allow 2 edits (`pl`→`ple`), longer ones a third of their length, so a suggestion is a likely
    /// typo and not an unrelated word. Very long inputs are never compared (no quadratic cost).
    public static func threshold(for word: String) -> Int { max(2, word.unicodeScalars.count / 3) }

    /// The nearest candidate within the threshold; ties go to the earlier candidate (declaration
    /// order), so output is deterministic. A candidate equal to `word` is never suggested.
    public static func nearest(_ word: String, in candidates: [String]) -> String? {
        let limit = threshold(for: word)
        guard word.utf8.count <= 64 else { return nil }
        var best: (String, Int)?
        for c in candidates where c != word {
            if abs(c.unicodeScalars.count - word.unicodeScalars.count) > limit { continue }
            let d = editDistance(word, c)
            if d <= limit, best.map({ d < $0.1 }) ?? true { best = (c, d) }
        }
        return best?.0
    }
}
