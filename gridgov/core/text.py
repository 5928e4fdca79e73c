"""Text as residents write it (kit): normalised, with personal data masked, cut into character n-grams, and
compared.

Every app that reads free text for a purpose other than showing it — the suggestions' features
(``gridgov.assist``), text-aware duplicates (``cases``), recurring problems (``dashboards``), needs ↔
resources (``projects``) — goes through :func:`clean`, so no phone number, ID number, e-mail address or
name reaches a feature, a stored vocabulary or an explanation. Chinese is written without spaces, so the
unit of comparison is the character n-gram (bigrams by default: most Chinese words of a complaint are two characters); no word
segmenter is needed and a typo spoils only the n-grams it touches.

Masking is deliberately greedy: a long digit run is masked whatever it was (a meter number is lost to the
features, a phone number never leaks into them), and a name is recognised by what surrounds it — a cue
before it (:data:`NAME_CUES`) or a form of address after a surname (:data:`ADDRESS_FORMS`), or a
familiar "old" or "young" before one.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

# The placeholders are single private characters: they are never written by a person, each is one
# n-gram unit, and explanations render them as the words below.
PHONE_MARK = "\ue000"
ID_MARK = "\ue001"
EMAIL_MARK = "\ue002"
NUMBER_MARK = "\ue003"
NAME_MARK = "\ue004"
MARKS = (PHONE_MARK, ID_MARK, EMAIL_MARK, NUMBER_MARK, NAME_MARK)

# The commonest surnames (about 85 % of the population), single and double.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚"
    "卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常"
    "温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
DOUBLE_SURNAMES = (
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "长孙",
    "令狐",
    "夏侯",
)
ADDRESS_FORMS = "先生|女士|小姐|阿姨|大爷|大妈|大娘|大叔|大哥|大姐|奶奶|爷爷|老师|师傅|同志|书记|主任|老人|老太|老汉|婆婆|师父"
NAME_CUES = "我叫|我是|本人|联系人|联系电话人|住户|业主|居民|户主|姓名|报事人|反映人|租户"

_SURNAME = "(?:" + "|".join(DOUBLE_SURNAMES) + "|[" + SURNAMES + "])"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# 18-digit (last may be X) and old 15-digit ID numbers, before the phone and digit rules see them.
_ID = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
# Mobiles (with +86, spaces or dashes) and landlines with an area code.
_PHONE = re.compile(
    r"(?<!\d)(?:(?:\+?86)[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)|(?<!\d)0\d{2,3}[ -]?\d{7,8}(?!\d)"
)
_DIGITS = re.compile(r"\d{6,}")
_CUED_NAME = re.compile(rf"((?:{NAME_CUES})[:： ]?)({_SURNAME}[\u4e00-\u9fff]{{1,2}})")
_ADDRESSED = re.compile(rf"{_SURNAME}(?=[\u4e00-\u9fff]?(?:{ADDRESS_FORMS}))")
_FAMILIAR = re.compile(rf"(?<=[老小]){_SURNAME}(?=[家说反的在和跟们,，。、 ]|$)")
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Full-width letters and digits to half-width (NFKC), lower case, runs of white space to one."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text or "")).strip().lower()


def mask(text: str, names: Iterable[str] = ()) -> str:
    """``text`` with phone numbers, ID numbers, e-mail addresses, long numbers and names replaced by the
    placeholders above. ``names`` are names known to belong to the text (its reporter's), masked wherever
    they appear, whatever surrounds them."""
    for name in names:
        name = (name or "").strip()
        if len(name) >= 2:
            text = text.replace(name, NAME_MARK)
    text = _EMAIL.sub(EMAIL_MARK, text)
    text = _ID.sub(ID_MARK, text)
    text = _PHONE.sub(PHONE_MARK, text)
    text = _DIGITS.sub(NUMBER_MARK, text)
    text = _CUED_NAME.sub(lambda m: m.group(1) + NAME_MARK, text)
    text = _ADDRESSED.sub(NAME_MARK, text)
    return _FAMILIAR.sub(NAME_MARK, text)


def clean(text: str, names: Iterable[str] = ()) -> str:
    """What every reader of free text for features or comparison uses: normalised, then masked."""
    return mask(normalise(text), names=[normalise(n) for n in names])


def grams(text: str, n: int = 2) -> list[str]:
    """The character ``n``-grams of a cleaned text, white space and punctuation breaking them (a gram never
    spans two clauses); a clause shorter than ``n`` is one gram."""
    out: list[str] = []
    for clause in _clauses(text):
        if len(clause) < n:
            out.append(clause)
        else:
            out.extend(clause[i : i + n] for i in range(len(clause) - n + 1))
    return out


def _clauses(text: str) -> list[str]:
    parts, current = [], []
    for ch in text:
        if ch.isalnum() or ch in MARKS:
            current.append(ch)
        elif current:
            parts.append("".join(current))
            current = []
    if current:
        parts.append("".join(current))
    return parts


def profile(text: str, n: int = 2, names: Iterable[str] = ()) -> Counter:
    """The n-gram counts of ``text`` after :func:`clean` (placeholders are not counted: two reports are not
    alike because both carry a phone number)."""
    return Counter(g for g in grams(clean(text, names), n) if not any(m in g for m in MARKS))


def cosine(a: Counter, b: Counter) -> float:
    """Cosine similarity of two n-gram profiles, 0 … 1."""
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(count * b.get(g, 0) for g, count in a.items())
    if not dot:
        return 0.0
    return dot / (math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values())))


def similarity(a: str, b: str, n: int = 2) -> float:
    """How alike two texts are (cosine of their character n-gram profiles), 0 … 1."""
    return cosine(profile(a, n), profile(b, n))


def shared(a: Counter, b: Counter, limit: int = 5) -> list[str]:
    """The n-grams two profiles share, the most repeated first, for showing why two texts were found
    alike."""
    common = [g for g in a if g in b]
    common.sort(key=lambda g: (-(min(a[g], b[g])), g))
    return common[:limit]


def phrases(text: str, words, names=(), limit: int = 5) -> list[str]:
    """The shared bigrams ``words`` as a person reads them: the longest runs of ``text`` (cleaned: personal
        data masked) made of overlapping bigrams of ``words`` — three overlapping bigrams read as one run of four
    characters —
        longest first. A run holds only characters of ``words``, so never a masked phone, ID number or name."""
    words = set(words)
    cleaned = clean(text or "", names)
    runs: list[str] = []
    current, end = "", -1
    for i in range(len(cleaned) - 1):
        pair = cleaned[i : i + 2]
        if pair not in words:
            continue
        if current and i == end:
            current += pair[1]
        else:
            if current:
                runs.append(current)
            current = pair
        end = i + 1
    if current:
        runs.append(current)
    seen: dict[str, int] = {}
    for at, run in enumerate(runs):
        seen.setdefault(run, at)
    ordered = sorted(seen, key=lambda r: (-len(r), seen[r]))
    return [r for i, r in enumerate(ordered) if not any(r in longer for longer in ordered[:i])][:limit]
