"""The vocabulary of keyword-injection spam, by trade, written for copydesk.

This is one feature of spam detection, never the method: a word from here is removed only when the
text around it also says it does not belong (it splits a word, it sits in a run of commercial words,
it is not built into the sentence, or the same run was already proven spam in this article or site).
``STRONG`` words almost never occur in news copy, so less context is needed for them.
"""

from __future__ import annotations

from copydesk.clean.words import vocabulary

TOPIC_WORDS: dict[str, frozenset[str]] = {
    "pharmacy": vocabulary(
        """viagra cialis levitra kamagra tadalafil sildenafil tramadol xanax valium ambien oxycodone
        adderall modafinil pharmacy pharmacies pills pill meds rx prescription erectile"""
    ),
    "cannabis": vocabulary(
        """weed cannabis marijuana dispensary dispensaries cbd thc kush edibles gummies vape vapes
        delta-8 delta-9 pre-rolls prerolls shrooms psilocybin kratom mushrooms"""
    ),
    "gambling": vocabulary(
        """casino casinos slots slot poker betting bet bets sportsbook jackpot roulette blackjack
        gambling baccarat bingo freespins spins"""
    ),
    "loans": vocabulary("""loan loans payday lender lenders cash-advance cash refinance credit"""),
    "replicas": vocabulary("""replica replicas rolex knockoff knockoffs handbags sneakers watches"""),
    "essays": vocabulary("""essay essays homework dissertation dissertations coursework term-paper"""),
    "crypto": vocabulary("""crypto bitcoin btc ethereum eth forex nft nfts airdrop altcoin"""),
    "adult": vocabulary("""porn xxx escort escorts cams camgirls hookup hookups nude nudes sex"""),
}

TOPIC = frozenset(word for words in TOPIC_WORDS.values() for word in words)

STRONG = vocabulary(
    """viagra cialis levitra kamagra tadalafil sildenafil dispensary dispensaries kush sportsbook
    freespins knockoff knockoffs camgirls xxx porn escorts"""
)

# Commercial-intent words that glue a spam run together ("buy ... online", "best ... near me").
COMMERCE = vocabulary(
    """buy cheap order online best discount sale free near me shop store deals deal price prices top
    legit fast delivery shipping without usa uk canada australia service services get instant real
    money win play rated review reviews no bonus code codes promo fake writing write help paper
    papers for sell selling sellers trusted quick easy same day overnight generic brand luxury
    bad approval guaranteed apply videos instantly check signals wallet jelly oral pens tips sites
    deposit shipping exchange advance luxury bags today live mail canadian magic pay legal"""
)

# Words after which a noun is built into the sentence ("the casino", "a loan"): not an injection.
DETERMINERS = vocabulary(
    """the a an this that these those his her its their our your my whose which some any each every
    no many several local state illegal legal licensed new another first"""
)
