import Foundation

/// What a packet capture taken during a VIP failover shows, from `tcpdump -n -tt -r` lines:
/// who sent VRRP adverts and with which priority, when the master changed, the gratuitous ARP
/// announcing the VIP. Times are seconds from the first packet.
public enum CaptureSummary {
    public static func notes(_ text: String, names: [String: String], vip: String?) -> [Note] {
        var origin: Double?
        var adverts: [(source: String, priority: String)] = []
        var counts: [String: Int] = [:]
        var master: String?
        var changes: [Note] = []
        var garp = 0
        var firstGarp: Double?
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            guard let time = words.first.flatMap(Double.init) else { continue }
            let at = time - (origin ?? time)
            if origin == nil { origin = time }
            if line.contains("VRRP"), let index = words.firstIndex(of: "IP"), index + 1 < words.count,
               let prio = words.firstIndex(of: "prio"), prio + 1 < words.count {
                let source = words[index + 1]
                let priority = words[prio + 1].trimmingCharacters(in: CharacterSet(charactersIn: ","))
                let key = source + " " + priority
                if counts[key] == nil { adverts.append((source, priority)) }
                counts[key, default: 0] += 1
                // Priority 0 is a master resigning; any other advert is sent by the master.
                if priority != "0", source != master {
                    if master != nil { changes.append(Note("capture.master", [String(format: "%.1f", at), names[source] ?? source])) }
                    master = source
                }
            } else if let vip, line.contains("ARP,"), line.contains("who-has \(vip) ") && line.contains("tell \(vip)") || line.contains("Reply \(vip) is-at") {
                garp += 1
                if firstGarp == nil { firstGarp = at }
            }
        }
        var notes = adverts.map { advert in
            Note("capture.adverts", ["\(counts[advert.source + " " + advert.priority] ?? 0)", names[advert.source] ?? advert.source, advert.priority])
        }
        notes += changes
        if let vip, let firstGarp { notes.append(Note("capture.garp", ["\(garp)", vip, String(format: "%.1f", firstGarp)])) }
        return notes
    }
}
