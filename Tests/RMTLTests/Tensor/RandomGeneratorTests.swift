import Testing
import RMTL

@Test func sameSeedSameStream() {
    var a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42), c = RandomGenerator(seed: 43)
    let xs = (0..<8).map { _ in a.next() }
    #expect(xs == (0..<8).map { _ in b.next() })
    #expect(xs != (0..<8).map { _ in c.next() })
}

@Test func uniformIsInUnitInterval() {
    var g = RandomGenerator(seed: 1)
    var sum: Double = 0
    for _ in 0..<100_000 {
        let u = g.nextUniform()
        #expect(u >= 0 && u < 1)
        sum += Double(u)
    }
    #expect(abs(sum / 100_000 - 0.5) < 0.01)
}
