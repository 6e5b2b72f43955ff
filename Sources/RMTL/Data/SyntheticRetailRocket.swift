import Foundation

/// Writes raw RetailRocket files (`events.csv`, `item_properties_part1.csv`, `item_properties_part2.csv`,
/// `category_tree.csv`) in the Kaggle format, at any size up to the real one, with learnable signal.
///
/// Shapes (scaled from `events`; at 2,756,101 events they match the Kaggle counts): visitors ≈ 0.51 ×
/// events, event items ≈ 0.085 × events with Zipf popularity (s = 0.95), 1.77 × as many items in the
/// property files (property-only items exist, as in the real data), up to 1,669 categories in a tree,
/// ≈ 48 property rows per property item (the 7 paper fields plus hashed extra properties, weekly snapshot
/// timestamps, values as hashed numbers, `n`-prefixed numbers and multi-token strings). Sessions are
/// 1 + Geometric touches with 10 s – 8 min gaps (never ≥ 30 min), sessions of one visitor ≥ 2 h apart;
/// events are written by visitor, so the file is not in time order (like the real one). Event mix ≈ 97%
/// view, 2.5% addtocart, 0.8% transaction.
///
/// Planted signal (what a model can learn; all multiplicative on the per-touch add-to-cart rate):
/// - `available` as of the event time: ×1.7 when "1", ×0.15 when "0" (it flips week to week, so the
///   as-of join matters);
/// - `categoryid`: a log-normal factor per category (σ = 0.8);
/// - `814`: a log-normal factor per value (σ = 0.6);
/// - `591` (a price, `n`-prefixed): cheaper levels cart more (factor from ×1.6 down to ×0.5);
/// - position of the touch in its session: ×(0.4 + 0.3 · min(position, 6)), so later touches cart more;
/// - purchase after a cart: 32% on average, × a factor of the `364` head value (σ = 0.5; the 12 most
///   frequent values) and the square root of the price factor.
/// `785` and `776` carry no signal. An add-to-cart is written as a view followed by an addtocart; a
/// purchase adds a transaction event (with a transaction id) shortly after.
///
/// Seeded and deterministic: the same `events` and `seed` give the same bytes.
public enum SyntheticRetailRocket {
    /// Sizes derived from the number of events.
    public struct Shape: Sendable, Equatable {
        public var events: Int
        public var visitors: Int
        public var items: Int
        public var propertyItems: Int
        public var categories: Int

        public init(events: Int) {
            let scale = Double(events) / 2_756_101
            self.events = events
            visitors = max(1, Int((1_407_580 * scale).rounded()))
            items = max(20, Int((235_061 * scale).rounded()))
            propertyItems = max(items, Int((417_053 * scale).rounded()))
            categories = min(1669, max(12, items / 140))
        }
    }

    public static let startTime: Int64 = 1_430_622_000_000  // 2015-05-03 03:00 UTC
    public static let endTime: Int64 = 1_442_545_200_000  // 2015-09-18 03:00 UTC
    public static let firstSnapshot: Int64 = 1_431_226_800_000  // 2015-05-10 03:00 UTC
    public static let week: Int64 = 604_800_000
    public static let weeks = 19

    /// Writes the four files into `directory` (created if needed).
    public static func write(to directory: String, events: Int, seed: UInt64) throws {
        guard events > 0 else { throw DataError(file: directory, message: "events must be positive") }
        try admit(events: events, directory: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let shape = Shape(events: events)
        var rng = RandomGenerator(seed: seed)
        let world = World(shape: shape, rng: &rng)
        try writeCategoryTree(world, to: directory + "/category_tree.csv")
        try writeEvents(world, shape: shape, rng: &rng, to: directory + "/events.csv")
        try writeProperties(world, rng: &rng, directory: directory)
    }

    /// A ceiling for `events` (37 times the real dataset), so absurd counts fail at `rmtl check`.
    public static let maximumEvents = 100_000_000
    /// Measured on the generator's output (issue 12's admission): the item tables kept in memory,
    /// and the four files written, per event (upper figures, so the estimate errs on the safe side).
    static let memoryPerEvent = 48.0
    static let diskPerEvent = 400.0

    /// Refuses, before anything is generated, a data set the memory or the disk cannot hold.
    static func admit(events: Int, directory: String) throws(ResourceError) {
        try ResourceError.admit(Double(events) * memoryPerEvent, available: Machine.availableMemory,
                                parameter: "events", what: "the generator's item tables")
        try ResourceError.admit(Double(events) * diskPerEvent, .disk, available: Machine.freeDisk(near: directory),
                                parameter: "events", what: "the generated files")
    }

    // MARK: - The items and their planted effects

    struct World {
        let shape: Shape
        let itemIDs: [Int64]  // per item index (event items first)
        let categoryIDs: [Int64]  // per category index
        let categoryParents: [Int]  // -1 for roots
        let category: [Int32]  // per property item
        let v814: [Int32], price: [Int32], v785: [Int32], v364: [Int32], v776: [Int32]
        let availability: [UInt32]  // bit w = available in week w
        let categoryFactor: [Double], factor814: [Double], priceFactor: [Double], factor364: [Double]
        let popularity: ZipfDistribution
        let cartBase: Double, payBase: Double
        let hash785: [Int64], hash364: [Int64], hash776: [Int64], hash814: [Int64]
        let priceLevels: [Int64]

        init(shape: Shape, rng: inout RandomGenerator) {
            self.shape = shape
            let total = shape.propertyItems
            // Item ids: distinct numbers in 0..<(1.12 × total), in random order.
            var ids = Array(0..<Int64(Double(total) * 1.12) + 1)
            rng.shuffle(&ids)
            itemIDs = Array(ids.prefix(total))
            var cats = Array(Int64(0)..<Int64(max(1700, shape.categories)))
            rng.shuffle(&cats)
            categoryIDs = Array(cats.prefix(shape.categories))
            let roots = max(1, shape.categories / 66)
            categoryParents = (0..<shape.categories).map { $0 < roots ? -1 : rng.nextInt(below: $0) }

            func logNormal(_ sigma: Double, _ n: Int, _ rng: inout RandomGenerator) -> [Double] {
                (0..<n).map { _ in exp(sigma * Double(rng.nextNormal()) - sigma * sigma / 2) }
            }
            let categories = ZipfDistribution(count: shape.categories, exponent: 1.1)
            let values814 = ZipfDistribution(count: 300, exponent: 1.0), values785 = ZipfDistribution(count: 500, exponent: 1.0)
            let values364 = ZipfDistribution(count: 5000, exponent: 1.05), values776 = ZipfDistribution(count: 20000, exponent: 1.0)
            let prices = ZipfDistribution(count: 200, exponent: 0.6)
            category = (0..<total).map { _ in categories.draw(&rng) }
            v814 = (0..<total).map { _ in values814.draw(&rng) }
            price = (0..<total).map { _ in prices.draw(&rng) }
            v785 = (0..<total).map { _ in values785.draw(&rng) }
            v364 = (0..<total).map { _ in values364.draw(&rng) }
            v776 = (0..<total).map { _ in values776.draw(&rng) }
            availability = (0..<total).map { _ in
                var available = rng.nextUniform() < 0.8
                var bits: UInt32 = 0
                for w in 0..<SyntheticRetailRocket.weeks {
                    if w > 0 {
                        let u = rng.nextUniform()
                        available = available ? u >= 0.08 : u < 0.3
                    }
                    if available { bits |= 1 << UInt32(w) }
                }
                return bits
            }
            categoryFactor = logNormal(0.8, shape.categories, &rng)
            factor814 = logNormal(0.6, 300, &rng)
            // Price levels rise with the level index; cheaper levels cart more.
            priceLevels = (0..<200).map { Int64(exp(1.5 + 7.5 * Double($0) / 200)) + Int64($0) }
            priceFactor = (0..<200).map { 1.6 - 1.1 * Double($0) / 199 }
            factor364 = (0..<5000).map { $0 < 12 ? exp(0.5 * Double(rng.nextNormal())) : 1 }
            func hashes(_ n: Int, _ rng: inout RandomGenerator) -> [Int64] {
                (0..<n).map { _ in Int64(rng.nextInt(below: 1_400_000)) + 100 }
            }
            hash785 = hashes(500, &rng)
            hash364 = hashes(5000, &rng)
            hash776 = hashes(20000, &rng)
            hash814 = hashes(300, &rng)
            popularity = ZipfDistribution(count: shape.items, exponent: 0.95)

            // Calibrate the base rates so the event mix comes out near 2.5% carts and 0.8% purchases.
            var itemMean = 0.0, payMean = 0.0
            for i in 0..<shape.items {
                let p = popularity.probability(i)
                let availableWeeks = Double(availability[i].nonzeroBitCount) / Double(SyntheticRetailRocket.weeks)
                let availableFactor = 1.7 * availableWeeks + 0.15 * (1 - availableWeeks)
                let m = categoryFactor[Int(category[i])] * factor814[Int(v814[i])] * priceFactor[Int(price[i])]
                itemMean += p * m * availableFactor
                payMean += p * m * availableFactor * factor364[Int(v364[i])] * priceFactor[Int(price[i])].squareRoot()
            }
            payMean /= itemMean
            // Positions: touches per session are 1 + Geometric(0.55).
            var positionMean = 0.0, lengthMean = 0.0, pl = 0.55
            for length in 1...200 {
                var sum = 0.0
                for pos in 0..<length { sum += SyntheticRetailRocket.positionFactor(pos) }
                positionMean += pl * sum
                lengthMean += pl * Double(length)
                pl *= 0.45
            }
            positionMean /= lengthMean
            let cartPerTouch = 0.0258
            cartBase = cartPerTouch / (itemMean * positionMean)
            payBase = 0.32 / payMean
        }

        func sampleItem(_ rng: inout RandomGenerator) -> Int { Int(popularity.draw(&rng)) }

        func weekIndex(_ t: Int64) -> Int {
            min(SyntheticRetailRocket.weeks - 1, max(0, Int((t - SyntheticRetailRocket.firstSnapshot) / SyntheticRetailRocket.week)))
        }

        func isAvailable(_ item: Int, at t: Int64) -> Bool { availability[item] & (1 << UInt32(weekIndex(t))) != 0 }

        func cartProbability(_ item: Int, at t: Int64, position: Int) -> Double {
            let m = categoryFactor[Int(category[item])] * factor814[Int(v814[item])] * priceFactor[Int(price[item])]
            return min(0.9, cartBase * m * (isAvailable(item, at: t) ? 1.7 : 0.15) * SyntheticRetailRocket.positionFactor(position))
        }

        func payProbability(_ item: Int) -> Double {
            min(0.95, payBase * factor364[Int(v364[item])] * priceFactor[Int(price[item])].squareRoot())
        }
    }

    /// The planted session-position effect on add-to-cart: rises over the first 7 touches.
    static func positionFactor(_ position: Int) -> Double { 0.4 + 0.3 * Double(min(position, 6)) }

    // MARK: - Files

    static func writeCategoryTree(_ world: World, to path: String) throws {
        let out = try ByteFileWriter(path: path)
        out.text("categoryid,parentid\n")
        for c in 0..<world.categoryIDs.count {
            out.int(world.categoryIDs[c])
            out.byte(UInt8(ascii: ","))
            if world.categoryParents[c] >= 0 { out.int(world.categoryIDs[world.categoryParents[c]]) }
            out.byte(UInt8(ascii: "\n"))
        }
        try out.finish()
    }

    static func writeEvents(_ world: World, shape: Shape, rng: inout RandomGenerator, to path: String) throws {
        let out = try ByteFileWriter(path: path)
        out.text("timestamp,visitorid,event,itemid,transactionid\n")
        var emitted = 0
        var transactionID: Int64 = 0
        var visitor = 0
        let span = endTime - startTime
        func emit(_ t: Int64, _ visitorID: Int, _ kind: Int, _ item: Int) {
            out.int(t)
            out.byte(UInt8(ascii: ","))
            out.int(visitorID)
            switch kind {
            case 0: out.text(",view,")
            case 1: out.text(",addtocart,")
            default: out.text(",transaction,")
            }
            out.int(world.itemIDs[item])
            out.byte(UInt8(ascii: ","))
            if kind == 2 {
                transactionID += 1 + Int64(rng.nextInt(below: 3))
                out.int(transactionID)
            }
            out.byte(UInt8(ascii: "\n"))
            emitted += 1
        }
        var touched: [Int] = []
        while emitted < shape.events {
            // Visitors in order first, then repeat visitors at random once every id is used.
            let visitorID = visitor < shape.visitors ? visitor : rng.nextInt(below: shape.visitors)
            visitor += 1
            var t = startTime + Int64(rng.nextInt(below: Int(span - 86_400_000)))
            var sessionCount = 1
            while rng.nextUniform() < 0.14 && sessionCount < 20 { sessionCount += 1 }
            sessionLoop: for _ in 0..<sessionCount {
                touched.removeAll(keepingCapacity: true)
                var length = 1
                while rng.nextUniform() < 0.45 && length < 200 { length += 1 }
                for position in 0..<length {
                    if emitted >= shape.events { break sessionLoop }
                    let item = !touched.isEmpty && rng.nextUniform() < 0.25
                        ? touched[rng.nextInt(below: touched.count)] : world.sampleItem(&rng)
                    touched.append(item)
                    if Double(rng.nextUniform()) < world.cartProbability(item, at: t, position: position) {
                        emit(t, visitorID, 0, item)
                        t += 5_000 + Int64(rng.nextInt(below: 60_000))
                        if emitted < shape.events { emit(t, visitorID, 1, item) }
                        if emitted < shape.events && Double(rng.nextUniform()) < world.payProbability(item) {
                            t += 30_000 + Int64(rng.nextInt(below: 240_000))
                            emit(t, visitorID, 2, item)
                        }
                    } else {
                        emit(t, visitorID, 0, item)
                    }
                    t += 10_000 + Int64(rng.nextInt(below: 470_000))  // < 8 min: never a 30-min gap
                }
                // Next session of this visitor: at least 2 h later.
                t += 7_200_000 + Int64(-log(Double(max(rng.nextUniform(), 1e-7))) * 4 * 86_400_000)
                if t >= endTime { break }
            }
        }
        try out.finish()
    }

    /// Property rows, grouped by item; the first 54% of items go to part 1 (the real split is 54/46).
    static func writeProperties(_ world: World, rng: inout RandomGenerator, directory: String) throws {
        let part1 = try ByteFileWriter(path: directory + "/item_properties_part1.csv")
        let part2 = try ByteFileWriter(path: directory + "/item_properties_part2.csv")
        for out in [part1, part2] { out.text("timestamp,itemid,property,value\n") }
        let total = world.shape.propertyItems
        let splitAt = Int(Double(total) * 0.54)
        // Extra property names: hashed numbers other than the paper's fields, Zipf-used.
        let paper: Set<Int> = [785, 591, 814, 364, 776]
        let extraNames = (1...1110).filter { !paper.contains($0) }.prefix(1100).map { Int64($0) }
        func snapshot(_ w: Int) -> Int64 { firstSnapshot + Int64(w) * week }
        for item in 0..<total {
            let out = item < splitAt ? part1 : part2
            let id = world.itemIDs[item]
            /// `timestamp,itemid,`: the start of every property row of this item.
            func start(_ w: Int) {
                out.int(snapshot(w))
                out.byte(UInt8(ascii: ","))
                out.int(id)
                out.byte(UInt8(ascii: ","))
            }
            func row(_ w: Int, _ name: StaticString, _ value: () -> Void) {
                start(w)
                out.text(name)
                out.byte(UInt8(ascii: ","))
                value()
                out.byte(UInt8(ascii: "\n"))
            }
            row(0, "categoryid") { out.int(world.categoryIDs[Int(world.category[item])]) }
            // available: week 0, then every change.
            var previous: UInt32 = 2
            for w in 0..<weeks {
                let bit = (world.availability[item] >> UInt32(w)) & 1
                if bit != previous { row(w, "available") { out.int(Int(bit)) } }
                previous = bit
            }
            row(0, "814") { out.int(world.hash814[Int(world.v814[item])]) }
            for w in stride(from: 0, to: weeks, by: 4) {  // the price, re-stated every 4 weeks
                row(w, "591") {
                    out.byte(UInt8(ascii: "n"))
                    out.int(world.priceLevels[Int(world.price[item])])
                    out.text(".000")
                }
            }
            row(0, "785") {
                out.int(world.hash785[Int(world.v785[item])])
                out.text(" n")
                out.int(Int(world.v785[item] % 48) * 12)
                out.text(".000")
            }
            row(0, "364") { out.int(world.hash364[Int(world.v364[item])]) }
            row(0, "776") { out.int(world.hash776[Int(world.v776[item])]) }
            // Extra properties: 8..23 names, each with 1 + Geometric snapshots.
            let extras = 8 + rng.nextInt(below: 16)
            for _ in 0..<extras {
                let name = extraNames[min(extraNames.count - 1, Int(Double(extraNames.count) * pow(Double(rng.nextUniform()), 3)))]
                var w = rng.nextInt(below: 4)
                repeat {
                    start(w)
                    out.int(name)
                    out.byte(UInt8(ascii: ","))
                    switch rng.nextInt(below: 3) {
                    case 0:
                        out.int(Int64(rng.nextInt(below: 1_300_000)))
                    case 1:
                        out.byte(UInt8(ascii: "n"))
                        out.int(Int64(rng.nextInt(below: 5000)))
                        out.text(".000")
                    default:
                        out.int(Int64(rng.nextInt(below: 1_300_000)))
                        out.byte(UInt8(ascii: " "))
                        out.int(Int64(rng.nextInt(below: 1_300_000)))
                        out.text(" n")
                        out.int(Int64(rng.nextInt(below: 900)))
                        out.text(".000")
                    }
                    out.byte(UInt8(ascii: "\n"))
                    w += 1 + rng.nextInt(below: 6)
                } while w < weeks && rng.nextUniform() < 0.6
            }
        }
        try part1.finish()
        try part2.finish()
    }
}
