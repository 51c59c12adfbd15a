import Foundation

/// The languages reports are written in.
public enum Language: String, Sendable, CaseIterable {
    case en, fr

    /// French when the locale says so (LC_ALL, then LC_MESSAGES, then LANG, as gettext reads them).
    public static func from(environment: [String: String] = ProcessInfo.processInfo.environment) -> Language {
        for name in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            guard let value = environment[name], !value.isEmpty else { continue }
            return value.lowercased().hasPrefix("fr") ? .fr : .en
        }
        return .en
    }
}

/// Every label and observation of the smoke tests and reports, in English and in French, in
/// the words the course's write-ups use (Répartition de charge, Tolérance de panne, ...).
/// Values fill `{0}`, `{1}`...; decimal numbers get a decimal comma in French.
public struct Phrasebook: Sendable {
    public let language: Language

    public init(_ language: Language) { self.language = language }

    public func text(_ note: Note) -> String { text(note.key, note.values) }

    public func text(_ key: String, _ values: [String] = []) -> String {
        guard let entry = Self.phrases[key] else { return ([key] + values).joined(separator: " ") }
        var result = language == .fr ? entry.fr : entry.en
        for (index, value) in values.enumerated() {
            result = result.replacingOccurrences(of: "{\(index)}", with: localized(value))
        }
        return result
    }

    public func testName(_ kind: SmokeKind, subject: String?) -> String {
        text("test.\(kind.rawValue)", subject.map { [$0] } ?? [])
    }

    /// What the test does, for the report's "how it was tested".
    public func procedure(_ kind: SmokeKind, subject: String?) -> String {
        text("how.\(kind.rawValue)", subject.map { [$0] } ?? [])
    }

    /// A number of seconds with one decimal, in the language's spelling.
    public func decimal(_ value: Double) -> String { localized(String(format: "%.1f", value)) }

    /// "2.5" reads "2,5" in French; other values stay as they are.
    private func localized(_ value: String) -> String {
        guard language == .fr, value.range(of: #"^-?\d+\.\d+$"#, options: .regularExpression) != nil else { return value }
        return value.replacingOccurrences(of: ".", with: ",")
    }

    static let phrases: [String: (en: String, fr: String)] = [
        // Test names, as the results table's first column.
        "test.roundRobin": ("Round robin (6 requests)", "Répartition de charge (round-robin, 6 requêtes)"),
        "test.statsPage": ("Stats page", "Interface de statistiques"),
        "test.clientAddress": ("Client address seen by the backends", "Adresse du client vue par les serveurs web"),
        "test.webFailover": ("Failover ({0} stopped)", "Tolérance de panne (arrêt de {0})"),
        "test.webRecovery": ("Recovery ({0} restarted)", "Reprise après rétablissement (redémarrage de {0})"),
        "test.vipHolder": ("VIP held by exactly one node", "VIP portée par un seul nœud"),
        "test.vipFailover": ("VIP failover (load balancer stopped)", "Bascule de la VIP (arrêt du répartiteur)"),
        "test.probe": ("{0}", "{0}"),
        // What each test does.
        "how.roundRobin": ("6 HTTP requests from the client through the front address; each answer names its server.",
                           "6 requêtes HTTP envoyées du client vers l'adresse d'entrée ; chaque réponse donne le nom de son serveur."),
        "how.statsPage": ("The statistics page requested from the client, with its login.",
                          "La page de statistiques demandée depuis le client, avec son identifiant."),
        "how.clientAddress": ("4 requests; each backend says which client address it saw.",
                              "4 requêtes ; chaque serveur web indique l'adresse du client qu'il a vue."),
        "how.webFailover": ("Requests every 0.1 s from the client while the application on {0} is stopped.",
                            "Requêtes toutes les 0,1 s depuis le client pendant l'arrêt de l'application sur {0}."),
        "how.webRecovery": ("Requests every 0.1 s from the client while the application on {0} is started again.",
                            "Requêtes toutes les 0,1 s depuis le client pendant le redémarrage de l'application sur {0}."),
        "how.vipHolder": ("Each load balancer asked whether it holds the VIP.",
                          "Chaque répartiteur interrogé : porte-t-il la VIP ?"),
        "how.vipFailover": ("Requests every 0.1 s to the VIP while the load balancing service stops on {0}, the node holding the VIP (its track script gives the VIP away), then starts again.",
                            "Requêtes toutes les 0,1 s vers la VIP pendant l'arrêt du service de répartition sur {0}, le nœud qui porte la VIP (son script de suivi cède la VIP), puis son redémarrage."),
        "how.probe": ("A check the host's role declares (meta/smoke.yml): {0}.", "Contrôle déclaré par le rôle de l'hôte (meta/smoke.yml) : {0}."),
        // Observations.
        "probe.ok": ("passed on {0}: {1}", "réussi sur {0} : {1}"),
        "probe.bad": ("failed on {0}: {1}", "échec sur {0} : {1}"),
        "rr.alternation": ("perfect alternation between {0} servers", "alternance parfaite entre {0} serveurs"),
        "rr.all": ("every server answered", "chaque serveur a répondu"),
        "rr.bad": ("answers: {0}; failed requests: {1}", "réponses : {0} ; requêtes en échec : {1}"),
        "stats.ok": ("{0} answers (HTTP 200)", "{0} répond (HTTP 200)"),
        "stats.bad": ("{0} answered HTTP {1}", "{0} a répondu HTTP {1}"),
        "client.ok": ("backends see {0}, the client's own address", "les serveurs web voient {0}, l'adresse du client lui-même"),
        "client.bad": ("backends saw {0}, expected {1}", "les serveurs web ont vu {0} au lieu de {1}"),
        "failover.ok": ("every answer from {0} after {1} s; {2} failed request(s) meanwhile",
                        "toutes les réponses viennent de {0} après {1} s ; {2} requête(s) en échec entre-temps"),
        "failover.bad": ("answers after stopping {0}: {1}", "réponses après l'arrêt de {0} : {1}"),
        "recovery.ok": ("{0} back in rotation after {1} s", "{0} de retour dans la rotation après {1} s"),
        "recovery.bad": ("answers: {0}", "réponses : {0}"),
        "vip.none": ("no node holds the VIP {0}", "aucun nœud ne porte la VIP {0}"),
        "vip.one": ("{0} holds the VIP {1}", "{0} porte la VIP {1}"),
        "vip.notMaster": ("{0} holds the VIP {1}; the inventory's MASTER is {2}", "{0} porte la VIP {1} ; le MASTER de l'inventaire est {2}"),
        "vip.split": ("{0} all hold the VIP {1} (split brain)", "{0} portent tous la VIP {1} (split brain)"),
        "vipfailover.back": ("VIP moved {0} → {1}; {2} s without service, {3} failed request(s); failback: VIP back on {0} ({4} s without service, {5} failed)",
                             "VIP basculée de {0} vers {1} ; {2} s sans service, {3} requête(s) en échec ; retour : VIP de nouveau sur {0} ({4} s sans service, {5} en échec)"),
        "vipfailover.notBack": ("VIP moved {0} → {1}; {2} s without service, {3} failed request(s); failback: VIP did not come back ({4} s without service, {5} failed)",
                                "VIP basculée de {0} vers {1} ; {2} s sans service, {3} requête(s) en échec ; retour : la VIP n'est pas revenue ({4} s sans service, {5} en échec)"),
        "vipfailover.stays": ("VIP moved {0} → {1}; {2} s without service, {3} failed request(s); failback: none, as nopreempt wants ({4} s without service, {5} failed)",
                              "VIP basculée de {0} vers {1} ; {2} s sans service, {3} requête(s) en échec ; retour : aucun, comme le veut nopreempt ({4} s sans service, {5} en échec)"),
        "vipfailover.movedBack": ("VIP moved {0} → {1}; {2} s without service, {3} failed request(s); failback: VIP moved although nopreempt ({4} s without service, {5} failed)",
                                  "VIP basculée de {0} vers {1} ; {2} s sans service, {3} requête(s) en échec ; retour : la VIP est revenue malgré nopreempt ({4} s sans service, {5} en échec)"),
        "error": ("{0}", "{0}"),
        // Report sections and labels.
        "report.title": ("Technical annex — {0}", "Annexe technique — {0}"),
        "report.produced": ("Produced by haprov {0} on {1} UTC from the inventory {2}.", "Produit par haprov {0} le {1} UTC à partir de l'inventaire {2}."),
        "report.diagram": ("Infrastructure diagram", "Schéma de l'infrastructure"),
        "report.addressing": ("Addressing plan", "Plan d'adressage"),
        "report.summary": ("Results summary", "Synthèse des résultats"),
        "report.tests": ("Tests and validation", "Tests et validation"),
        "report.configs": ("Configuration files", "Fichiers de configuration"),
        "report.capture": ("Packets during the VIP failover", "Trames pendant la bascule de la VIP"),
        "report.host": ("Host", "VM / Hostname"),
        "report.address": ("IP address", "Adresse IP"),
        "report.interface": ("Interface", "Interface"),
        "report.role": ("Role", "Rôle"),
        "report.os": ("OS", "OS"),
        "report.versions": ("Versions found on the host", "Versions relevées sur l'hôte"),
        "report.test": ("Test", "Test effectué"),
        "report.result": ("Result", "Résultat"),
        "report.observation": ("Observation", "Observation"),
        "report.duration": ("Duration", "Durée"),
        "report.passed": ("Passed", "Réussi"),
        "report.failed": ("Failed", "Échec"),
        "report.how": ("How", "Procédure"),
        "report.seen": ("Seen", "Constat"),
        "report.label": ("{0}: {1}", "{0} : {1}"),
        "report.requests": ("{0} requests, {1} failed", "{0} requêtes, {1} en échec"),
        "report.allPassed": ("{0} of {1} tests passed.", "{0} tests réussis sur {1}."),
        "report.secretsMasked": ("Secrets are masked (********).", "Les secrets sont masqués (********)."),
        "report.notFound": ("not found on the host", "absent de l'hôte"),
        "report.client": ("client", "client"),
        "report.vip": ("VIP", "VIP"),
        "report.holdsVIP": ("holds the VIP", "porte la VIP"),
        "report.backup": ("backup", "secours"),
        "report.returnPath": ("replies go back through the VIP (transparent mode)", "les réponses repassent par la VIP (mode transparent)"),
        "report.balancer": ("load balancer", "répartiteur de charge"),
        "report.webServer": ("web server", "serveur web"),
        "report.legendOK": ("answered", "réponse"),
        "report.legendFailed": ("failed", "échec"),
        "report.seconds": ("seconds", "secondes"),
        "mark.fault": ("service stopped", "service arrêté"),
        "mark.restore": ("service started", "service redémarré"),
        "mark.left": ("{0} out of the rotation", "{0} sorti de la rotation"),
        "mark.rejoined": ("{0} back in the rotation", "{0} de retour dans la rotation"),
        "mark.vipMoved": ("VIP on {0}", "VIP sur {0}"),
        "capture.adverts": ("{0} VRRP adverts from {1} (priority {2})", "{0} annonces VRRP de {1} (priorité {2})"),
        "capture.master": ("at {0} s {1} took over as master", "à {0} s, {1} devient maître"),
        "capture.garp": ("{0} gratuitous ARP for {1}, the first at {2} s", "{0} ARP gratuits pour {1}, le premier à {2} s"),
        "capture.file": ("Captured on {0} during the VIP failover: {1} (open it in Wireshark).", "Capturées sur {0} pendant la bascule de la VIP : {1} (à ouvrir dans Wireshark)."),
    ]
}
