import Foundation

/// Writes raw KuaiRand-1K files (data-formats.md §3: the two `log_standard_*` logs, the
/// `log_random_*` log, `user_features_1k.csv`, `video_features_basic_1k.csv`) with the real column
/// sets, at any size up to the real one (11,713,045 standard rows, 1,000 users, 4,369,953 videos), with
/// learnable signal.
///
/// Shapes: rows per user log-normal (σ = 1, as heavy users dominate the real log); every video appears
/// at least once when `rows ≥ videos` (the real log touches all of its 4.4M videos, most of them once or
/// twice), the other rows draw videos with Zipf popularity (s = 1.05); sessions of 1 + Geometric(mean
/// 24) touches 5–90 s apart, sessions at random times over 2022-04-08 – 2022-05-08 (Beijing time);
/// rows before 04-22 go to the first standard log, the rest to the second, each sorted by user and
/// time. The random log has 43,028 / 11,713,045 as many rows (`is_rand` = 1, uniform videos, second
/// period). Feature tables have the real value spellings: quoted range buckets such as `"[100,1k)"`,
/// `-124` as a missing marker, `NORMAL`/`AD`, floats written `720.0`, empty fields, quoted tag lists.
///
/// Planted signal on `is_click` (a logit sum, ≈ 30% clicks): a per-user effect (σ = 0.5) and one per
/// `user_active_degree`, a per-video effect (σ = 0.6: learnable only through a `video_id` embedding,
/// and only for videos seen often enough), `video_type` (AD: −0.8), the first `tag` (σ = 0.4), and
/// `tab` (σ = 0.3). `long_view` (played ≥ min(duration, 18 s)) mostly follows a click, more often on
/// short videos and good videos (half the video effect). `is_like` and the rarer flags follow clicks.
///
/// Seeded and deterministic: the same sizes and seed give the same bytes.
public enum SyntheticKuaiRand {
    /// The real KuaiRand-1K counts.
    public static let realRows = 11_713_045, realUsers = 1000, realVideos = 4_369_953, realRandomRows = 43_028

    /// Beijing midnight starting 2022-04-08, as Unix milliseconds; the second log starts 14 days later.
    static let start: Int64 = 1_649_347_200_000
    static let day: Int64 = 86_400_000
    static let days = 31, firstLogDays = 14

    public static let standardLogs = ["log_standard_4_08_to_4_21_1k.csv", "log_standard_4_22_to_5_08_1k.csv"]
    public static let randomLog = "log_random_4_22_to_5_08_1k.csv"
    static let logHeader = "user_id,video_id,date,hourmin,time_ms,is_click,is_like,is_follow,is_comment,"
        + "is_forward,is_hate,long_view,play_time_ms,duration_ms,profile_stay_time,comment_stay_time,is_profile_enter,is_rand,tab\n"

    /// Ceilings far above the real dataset, so absurd counts fail at `rmtl check`.
    public static let maximumRows = 100_000_000, maximumUsers = 1_000_000, maximumVideos = 50_000_000
    /// Measured on the generator's output (upper figures): memory and disk per log row and per video.
    static let memoryPerRow = 8.0, memoryPerVideo = 40.0
    static let diskPerRow = 110.0, diskPerVideo = 100.0

    /// Writes the five files into `directory` (created if needed).
    public static func write(to directory: String, rows: Int, users: Int, videos: Int, seed: UInt64) throws {
        for (name, value) in [("rows", rows), ("users", users), ("videos", videos)] where value < 1 {
            throw DataError(file: directory, message: "\(name) must be positive")
        }
        try ResourceError.admit(Double(rows) * memoryPerRow + Double(videos) * memoryPerVideo, available: Machine.availableMemory,
                                parameter: "rows", what: "the generator's row and video tables")
        try ResourceError.admit(Double(rows) * diskPerRow + Double(videos) * diskPerVideo, .disk,
                                available: Machine.freeDisk(near: directory), parameter: "rows", what: "the generated files")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var rng = RandomGenerator(seed: seed)
        let world = World(users: users, videos: videos, rng: &rng)
        try writeUsers(world, rng: &rng, to: directory + "/user_features_1k.csv")
        try writeVideos(world, rng: &rng, to: directory + "/video_features_basic_1k.csv")
        try writeStandardLogs(world, rows: rows, rng: &rng, directory: directory)
        try writeRandomLog(world, rows: max(1, Int((Double(rows) * Double(realRandomRows) / Double(realRows)).rounded())),
                           rng: &rng, to: directory + "/" + randomLog)
    }

    // MARK: - Users, videos and their planted effects

    static let activeDegrees: [StaticString] = ["full_active", "high_active", "middle_active", "low_active", "UNKNOWN"]
    static let activeDegreeEffect: [Float] = [0.3, 0.1, 0, -0.3, -0.2]
    static let uploadTypes: [StaticString] = ["ShortImport", "LongImport", "Web", "Kmovie", "PictureSet", "LongPicture", "UNKNOWN"]
    static let tags = 70

    struct World {
        let users: Int, videos: Int
        let userEffect: [Float], activeDegree: [UInt8]
        let videoEffect: [Float], isAd: [Bool], tag: [UInt8], duration: [Int32]
        let tagEffect: [Float], tabEffect: [Float]
        /// Zipf popularity over videos (video 0 the most popular).
        let popularity: ZipfDistribution

        init(users: Int, videos: Int, rng: inout RandomGenerator) {
            self.users = users
            self.videos = videos
            userEffect = (0..<users).map { _ in 0.5 * rng.nextNormal() }
            activeDegree = (0..<users).map { _ in UInt8([0, 0, 0, 1, 1, 2, 3, 4][rng.nextInt(below: 8)]) }
            videoEffect = (0..<videos).map { _ in 0.6 * rng.nextNormal() }
            isAd = (0..<videos).map { _ in rng.nextUniform() < 0.05 }
            tag = (0..<videos).map { _ in
                let u = rng.nextUniform()
                return UInt8(min(Int(u * u * Float(SyntheticKuaiRand.tags)), SyntheticKuaiRand.tags - 1))
            }
            // Durations: log-normal around 20 s, 3 s – 10 min.
            duration = (0..<videos).map { _ in Int32(min(600_000, max(3_000, 20_000 * exp(0.9 * Double(rng.nextNormal()))))) }
            tagEffect = (0..<SyntheticKuaiRand.tags).map { _ in 0.4 * rng.nextNormal() }
            tabEffect = (0..<15).map { _ in 0.3 * rng.nextNormal() }
            popularity = ZipfDistribution(count: videos, exponent: 1.05)
        }


        func clickLogit(user: Int, video: Int, tab: Int) -> Float {
            -1.1 + userEffect[user] + SyntheticKuaiRand.activeDegreeEffect[Int(activeDegree[user])] + videoEffect[video]
                + (isAd[video] ? -0.8 : 0) + tagEffect[Int(tag[video])] + tabEffect[tab]
        }
    }

    static func writeUsers(_ world: World, rng: inout RandomGenerator, to path: String) throws {
        let out = try ByteFileWriter(path: path)
        out.bytes(Array(("user_id,user_active_degree,is_lowactive_period,is_live_streamer,is_video_author,follow_user_num,"
                 + "follow_user_num_range,fans_user_num,fans_user_num_range,friend_user_num,friend_user_num_range,"
                 + "register_days,register_days_range").utf8))
        for k in 0..<18 {
            out.text(",onehot_feat")
            out.int(k)
        }
        out.byte(UInt8(ascii: "\n"))
        /// A count and its bucket (`bounds[i]` is the lowest count of bucket `names[i + 1]`).
        func bucketed(_ count: Int, _ bounds: [Int], _ names: [StaticString]) {
            out.int(count)
            out.byte(UInt8(ascii: ","))
            let name = names[bounds.firstIndex { count < $0 } ?? bounds.count]
            let quoted = name.withUTF8Buffer { $0.contains(UInt8(ascii: ",")) }
            if quoted { out.byte(UInt8(ascii: "\"")) }
            out.text(name)
            if quoted { out.byte(UInt8(ascii: "\"")) }
        }
        for u in 0..<world.users {
            out.int(u)
            out.byte(UInt8(ascii: ","))
            out.text(activeDegrees[Int(world.activeDegree[u])])
            out.byte(UInt8(ascii: ","))
            out.int(rng.nextUniform() < 0.1 ? 1 : 0)
            out.byte(UInt8(ascii: ","))
            out.int(rng.nextUniform() < 0.2 ? -124 : (rng.nextUniform() < 0.1 ? 1 : 0))
            out.byte(UInt8(ascii: ","))
            out.int(rng.nextUniform() < 0.3 ? 1 : 0)
            out.byte(UInt8(ascii: ","))
            func heavy(_ scale: Double) -> Int { Int(scale * exp(1.5 * Double(rng.nextNormal()))) }
            bucketed(heavy(60), [1, 11, 51, 101, 151, 251, 501],
                     ["0", "(0,10]", "(10,50]", "(50,100]", "(100,150]", "(150,250]", "(250,500]", "500+"])
            out.byte(UInt8(ascii: ","))
            bucketed(heavy(40), [1, 10, 100, 1000, 5000, 10_000, 100_000],
                     ["0", "[1,10)", "[10,100)", "[100,1k)", "[1k,5k)", "[5k,1w)", "[1w,10w)", "10w+"])
            out.byte(UInt8(ascii: ","))
            bucketed(heavy(8), [1, 5, 30, 60, 120, 250], ["0", "[1,5)", "[5,30)", "[30,60)", "[60,120)", "[120,250)", "250+"])
            out.byte(UInt8(ascii: ","))
            bucketed(15 + rng.nextInt(below: 2500), [31, 61, 91, 181, 366, 731],
                     ["15-30", "31-60", "61-90", "91-180", "181-365", "366-730", "730+"])
            for k in 0..<18 {
                out.byte(UInt8(ascii: ","))
                out.int(rng.nextInt(below: [2, 8, 40, 1200][k % 4]))
                if k >= 8 { out.text(".0") }
            }
            out.byte(UInt8(ascii: "\n"))
        }
        try out.finish()
    }

    static func writeVideos(_ world: World, rng: inout RandomGenerator, to path: String) throws {
        let out = try ByteFileWriter(path: path)
        out.bytes(Array(("video_id,author_id,video_type,upload_dt,upload_type,visible_status,video_duration,server_width,"
                 + "server_height,music_id,music_type,tag\n").utf8))
        let comma = UInt8(ascii: ",")
        for v in 0..<world.videos {
            out.int(v)
            out.byte(comma)
            out.int(rng.nextInt(below: max(1, world.videos / 3)))
            out.byte(comma)
            out.text(world.isAd[v] ? "AD" : "NORMAL")
            out.text(",2022-")
            let month = 1 + rng.nextInt(below: 4), dayOfMonth = 1 + rng.nextInt(below: 28)
            if month < 10 { out.byte(UInt8(ascii: "0")) }
            out.int(month)
            out.byte(UInt8(ascii: "-"))
            if dayOfMonth < 10 { out.byte(UInt8(ascii: "0")) }
            out.int(dayOfMonth)
            out.byte(comma)
            out.text(uploadTypes[min(rng.nextInt(below: 10), uploadTypes.count - 1)])
            out.text(",0.0,")
            if rng.nextUniform() >= 0.01 {  // 1% of durations are empty, as in the real table
                out.int(Int(world.duration[v]))
                out.text(".0")
            }
            out.text(rng.nextUniform() < 0.8 ? ",720.0,1280.0," : ",1080.0,1920.0,")
            out.int(Int64(1_000_000_000 + rng.nextInt(below: 9_000_000_000)))
            out.byte(comma)
            if rng.nextUniform() >= 0.1 { out.text("9.0") }
            out.byte(comma)
            let tag = Int(world.tag[v])
            if rng.nextUniform() < 0.15 {  // a tag list is one quoted field
                out.byte(UInt8(ascii: "\""))
                out.int(tag)
                out.byte(comma)
                out.int(rng.nextInt(below: tags))
                out.byte(UInt8(ascii: "\""))
            } else {
                out.int(tag)
            }
            out.byte(UInt8(ascii: "\n"))
        }
        try out.finish()
    }

    // MARK: - Logs

    static func writeStandardLogs(_ world: World, rows: Int, rng: inout RandomGenerator, directory: String) throws {
        // The video of every row: each video once (while rows last), the rest by popularity, shuffled.
        var videoOfRow = [Int32](repeating: 0, count: rows)
        for k in 0..<rows { videoOfRow[k] = k < world.videos ? Int32(k) : world.popularity.draw(&rng) }
        rng.shuffle(&videoOfRow)
        // Rows per user: log-normal shares, rounded so they add up to `rows`.
        let weights = (0..<world.users).map { _ in exp(Double(rng.nextNormal())) }
        let total = weights.reduce(0, +)
        var counts = weights.map { Int(Double(rows) * $0 / total) }
        for k in 0..<(rows - counts.reduce(0, +)) { counts[k % world.users] += 1 }

        let outs = try standardLogs.map { try ByteFileWriter(path: directory + "/" + $0) }
        for out in outs { out.bytes(Array(logHeader.utf8)) }
        let boundary = start + Int64(firstLogDays) * day
        var next = 0
        var times: [Int64] = []
        for user in 0..<world.users {
            times.removeAll(keepingCapacity: true)
            while times.count < counts[user] {
                var t = start + Int64(rng.nextInt(below: Int(Int64(days) * day - 3_600_000)))
                var length = 1
                while rng.nextUniform() < 0.96 && length < 400 { length += 1 }
                for _ in 0..<min(length, counts[user] - times.count) where t < start + Int64(days) * day {
                    times.append(t)
                    t += 5_000 + Int64(rng.nextInt(below: 85_000))
                }
            }
            times.sort()
            for t in times {
                let video = Int(videoOfRow[next])
                next += 1
                writeRow(world, user: user, video: video, time: t, isRandom: false, rng: &rng, to: outs[t < boundary ? 0 : 1])
            }
        }
        for out in outs { try out.finish() }
    }

    static func writeRandomLog(_ world: World, rows: Int, rng: inout RandomGenerator, to path: String) throws {
        let out = try ByteFileWriter(path: path)
        out.bytes(Array(logHeader.utf8))
        let perUser = (rows + world.users - 1) / world.users
        var written = 0
        for user in 0..<world.users where written < rows {
            let count = min(perUser, rows - written)
            let period = Int64(days - firstLogDays) * day
            let times = (0..<count).map { _ in start + Int64(firstLogDays) * day + Int64(rng.nextInt(below: Int(period))) }.sorted()
            for t in times {
                writeRow(world, user: user, video: rng.nextInt(below: world.videos), time: t, isRandom: true, rng: &rng, to: out)
            }
            written += count
        }
        try out.finish()
    }

    /// One log row, its labels drawn from the planted effects.
    static func writeRow(
        _ world: World, user: Int, video: Int, time: Int64, isRandom: Bool, rng: inout RandomGenerator, to out: ByteFileWriter
    ) {
        let tab = isRandom ? 1 : [0, 1, 1, 1, 2, 4, 4, 6, 8, 10, 14][rng.nextInt(below: 11)]
        let clicked = rng.nextUniform() < sigmoid(world.clickLogit(user: user, video: video, tab: tab))
        let duration = Int64(world.duration[video])
        let shortness: Float = duration < 18_000 ? 0.6 : -0.3
        let longView = rng.nextUniform() < sigmoid((clicked ? 0.4 : -2.2) + shortness + 0.5 * world.videoEffect[video])
        let threshold = min(duration, 18_000)
        let playTime = longView ? threshold + Int64(rng.nextInt(below: Int(max(1, duration - threshold + 1))))
            : Int64(rng.nextInt(below: Int(max(1, threshold))))
        let local = time - start  // Beijing time since 2022-04-08 00:00
        let dayIndex = Int(local / day), minuteOfDay = Int((local % day) / 60_000)
        let comma = UInt8(ascii: ",")
        func flag(_ probability: Float) {
            out.int(rng.nextUniform() < probability ? 1 : 0)
            out.byte(comma)
        }
        out.int(user)
        out.byte(comma)
        out.int(video)
        out.byte(comma)
        out.int(dayIndex < 23 ? 20_220_408 + dayIndex : 20_220_501 + dayIndex - 23)
        out.byte(comma)
        out.int(minuteOfDay / 60 * 100 + minuteOfDay % 60)
        out.byte(comma)
        out.int(time)
        out.byte(comma)
        out.int(clicked ? 1 : 0)
        out.byte(comma)
        flag(clicked ? 0.05 : 0.002)  // is_like
        flag(clicked ? 0.004 : 0.0002)  // is_follow
        flag(clicked ? 0.01 : 0.0005)  // is_comment
        flag(clicked ? 0.004 : 0.0002)  // is_forward
        flag(0.0005)  // is_hate
        out.int(longView ? 1 : 0)
        out.byte(comma)
        out.int(playTime)
        out.byte(comma)
        out.int(duration)
        out.byte(comma)
        let enteredProfile = rng.nextUniform() < (clicked ? 0.03 : 0.003)
        out.int(enteredProfile ? Int64(1_000 + rng.nextInt(below: 30_000)) : 0)
        out.byte(comma)
        out.int(rng.nextUniform() < 0.01 ? Int64(1_000 + rng.nextInt(below: 60_000)) : 0)
        out.byte(comma)
        out.int(enteredProfile ? 1 : 0)
        out.byte(comma)
        out.int(isRandom ? 1 : 0)
        out.byte(comma)
        out.int(tab)
        out.byte(UInt8(ascii: "\n"))
    }
}
