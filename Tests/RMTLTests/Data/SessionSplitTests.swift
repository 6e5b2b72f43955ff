import RMTL
import Testing

@Suite struct DataSessionSplitTests {
    let minute: Int64 = 60_000

    @Test func gapCutsPerUserAndOrdersByTime() throws {
        // user 0: t 0, 10, 45 (gap 35 > 30 → cut), user 1: t 5, 35 (gap exactly 30 → no cut).
        // Rows given out of time order.
        let times: [Int64] = [45, 0, 5, 10, 35].map { $0 * minute }
        let t = makeTable(["f": ["u0c", "u0a", "u1a", "u0b", "u1b"]], times: times, users: [0, 0, 1, 0, 1])
        let s = try t.sessionized(gapMilliseconds: 30 * minute)
        #expect(s.timestamps == [0, 5, 10, 35, 45].map { $0 * minute })
        #expect(s.vocabularies[0].string(Int(s.categorical[0][0])) == "u0a")
        // Sessions numbered by first row in time: u0's first session 0, u1's session 1, u0's second 2.
        #expect(s.sessions == [0, 1, 0, 1, 2])
    }

    @Test func equalTimesKeepReaderOrder() throws {
        let t = makeTable(["f": ["a", "b", "c"]], times: [7, 7, 7], users: [0, 1, 0])
        let s = try t.sessionized(gapMilliseconds: minute)
        #expect(s.categorical[0] == [0, 1, 2])
        #expect(s.sessions == [0, 1, 0])
    }

    @Test func gapNeedsAUserOrSessionColumn() {
        let t = makeTable(["f": ["a", "b"]])
        #expect(throws: DataError.self) { _ = try t.sessionized(gapMilliseconds: minute) }
        #expect(throws: DataError.self) { _ = try t.sessionized(gapMilliseconds: 0) }
    }

    @Test func sessionsFromAColumn() throws {
        var t = makeTable(["f": ["a", "b", "c", "d"]], times: [3, 1, 2, 0])
        let key = TokenInterner()
        t.keyColumnNames = ["sid"]
        t.keyColumns = [["x", "y", "x", "z"].map { key.intern($0) }]
        t.keyVocabularies = [key.frozen()]
        let s = try t.sessionized(byColumn: "sid")
        #expect(s.timestamps == [0, 1, 2, 3])
        #expect(s.sessions == [0, 1, 2, 2])  // z first, then y, then x (rows c and a)
        #expect {
            _ = try t.sessionized(byColumn: "sdi")
        } throws: { e in (e as? DataError)?.hint?.contains("did you mean 'sid'?") == true }
    }

    @Test func timeSplitRatios() throws {
        let n = 10
        let t = makeTable(["f": (0..<n).map { "v\($0)" }], times: (0..<Int64(n)).reversed().map { $0 })
        let parts = try t.splitRows(.paper)
        // Rows are in reverse time order: the earliest 6 rows are 9, 8, …, 4.
        #expect(parts.train == [9, 8, 7, 6, 5, 4])
        #expect(parts.validation == [3, 2])
        #expect(parts.test == [1, 0])
        #expect(try t.splitRows(.paper) == parts)  // reproducible
    }

    @Test func wholeSessionsStayTogether() throws {
        // Sessions of 3 rows each: a boundary at 60% of 9 rows (row 5) would cut session 1.
        let times: [Int64] = [0, 1, 2, 3, 4, 5, 6, 7, 8]
        var t = makeTable(["f": times.map { "v\($0)" }], times: times)
        t.sessions = [0, 0, 0, 1, 1, 1, 2, 2, 2]
        let cut = try t.splitRows(.time(train: 0.6, validation: 0.2, test: 0.2, wholeSessions: false))
        #expect(cut.train == [0, 1, 2, 3, 4])
        let whole = try t.splitRows(.time(train: 0.6, validation: 0.2, test: 0.2, wholeSessions: true))
        #expect(whole.train == [0, 1, 2, 3, 4, 5])
        // Boundaries at rows 5 and 7: session 2 starts at row 6, so it is validation and test is empty
        // (which `encoded` then reports as an error rather than training on nothing).
        #expect(whole.validation == [6, 7, 8])
        #expect(whole.test == [])
        for part in [whole.train, whole.validation, whole.test] {
            let sessions = Set(part.map { t.sessions[$0] })
            for other in [whole.train, whole.validation, whole.test] where other != part {
                #expect(sessions.isDisjoint(with: other.map { t.sessions[$0] }))
            }
        }
    }

    @Test func splitByColumn() throws {
        var t = makeTable(["f": ["a", "b", "c", "d"]])
        let key = TokenInterner()
        t.keyColumnNames = ["part"]
        t.keyColumns = [["train", "TEST", "val", "0"].map { key.intern($0) }]
        t.keyVocabularies = [key.frozen()]
        let parts = try t.splitRows(.column("part"))
        #expect(parts.train == [0, 3] && parts.validation == [2] && parts.test == [1])
        let bad = TokenInterner()
        t.keyColumns = [["train", "holdout", "val", "test"].map { bad.intern($0) }]
        t.keyVocabularies = [bad.frozen()]
        #expect {
            _ = try t.splitRows(.column("part"))
        } throws: { e in (e as? DataError)?.message.contains("'holdout'") == true }
    }

    @Test func badRatiosAndMissingPreset() {
        let t = makeTable(["f": ["a"]])
        #expect(throws: DataError.self) { _ = try t.splitRows(.time(train: -1, validation: 0, test: 0, wholeSessions: false)) }
        #expect(throws: DataError.self) { _ = try t.splitRows(.preset) }
    }

    @Test func durations() {
        #expect(parseDuration("30m") == 1_800_000)
        #expect(parseDuration("1h30m") == 5_400_000)
        #expect(parseDuration("500ms") == 500)
        #expect(parseDuration("90") == 90_000)
        #expect(parseDuration("2d") == 172_800_000)
        #expect(parseDuration("") == nil)
        #expect(parseDuration("10x") == nil)
        #expect(parseDuration("m") == nil)
    }

    @Test func collapseRetailRocketEvents() throws {
        // Session 0: view A, view B, addtocart A, transaction A; session 1: addtocart B.
        let kinds: [Int] = [0, 0, 1, 2, 1]
        var t = makeTable(["f": ["A", "B", "A", "A", "B"]], times: [0, 1, 2, 3, 4 * 3_600_000], users: [0, 0, 0, 0, 0])
        t.rowUnit = .event
        t.items = [0, 1, 0, 0, 1]
        t.taskNames = ["view", "addtocart", "transaction"]
        t.labels = (0..<3).map { k in kinds.map { $0 == k ? 1 : 0 } }
        let s = try t.sessionized(gapMilliseconds: 30 * minute)
        #expect(s.rowCount == 3)
        #expect(s.taskNames == ["ctr", "ctcvr"])
        #expect(s.labels[0] == [1, 0, 1])
        #expect(s.labels[1] == [1, 0, 0])
        #expect(s.sessions == [0, 0, 1])
        #expect(s.timestamps == [0, 1, 4 * 3_600_000])
        var cart = t
        cart.eventLabels = .cartOnly
        let c = try cart.sessionized(gapMilliseconds: 30 * minute)
        #expect(c.labels[0] == [1, 0, 1])
        var buyOnly = t
        buyOnly.eventLabels = RetailRocketLabels(clickEvents: ["transaction"], payEvents: ["transaction"])
        #expect(try buyOnly.sessionized(gapMilliseconds: 30 * minute).labels[0] == [1, 0, 0])
    }
}
