"""``gridgov train_suggester [--seed N] [--test-fraction F] [--json]``: train a new suggester here and now
(in this process), print its figures on the held-out most recent cases against the baselines, and whether
it replaced the active model. Exit code 0 when activated, 1 when kept out (rejected), 2 when it failed."""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.assist import training
from gridgov.assist.models import SuggesterModel


def _pct(value) -> str:
    return "—" if value is None else f"{100 * float(value):.1f}%"


def figures_table(model: SuggesterModel) -> str:
    """The figures of a finished training as a plain text table (what the command prints)."""
    m = model.metrics or {}
    lines = [
        _("模型 v%(version)s：%(state)s") % {"version": model.version, "state": model.get_state_display()},
        _("训练样本 %(train)s 条，测试样本 %(test)s 条（%(at)s 之后上报的）")
        % {"train": model.train_size, "test": model.test_size, "at": model.split_at or "—"},
    ]
    for kind, title in (("category", _("分类")), ("unit", _("处置单位"))):
        figures = m.get(kind)
        if not figures:
            if kind == "unit":
                lines.append(_("处置单位：测试样本中没有处置单位"))
            continue
        lines.append("")
        lines.append(title)
        lines.append(f"  {_('类别'):<24}{_('精确率'):>8}{_('召回率'):>8}{'F1':>8}{_('样本数'):>8}")
        for label, row in figures["classes"].items():
            lines.append(
                f"  {label[:24]:<24}{_pct(row['precision']):>9}{_pct(row['recall']):>9}"
                f"{_pct(row['f1']):>9}{row['support']:>9}"
            )
        lines.append(
            "  "
            + _("宏平均 F1 %(f1)s，首选正确率 %(top1)s，前三命中率 %(top3)s")
            % {
                "f1": _pct(figures["macro_f1"]),
                "top1": _pct(figures["accuracy"]),
                "top3": _pct(figures["top3"]),
            }
        )
        base = figures.get("baselines") or {}
        mf = base.get("most_frequent")
        if mf:
            text = _("基线·最常见类别（%(label)s）：宏平均 F1 %(f1)s，首选 %(top1)s，前三 %(top3)s")
            values = {"label": mf.get("label"), "f1": _pct(mf["macro_f1"]), "top1": _pct(mf["accuracy"])}
            lines.append("  " + text % dict(values, top3=_pct(mf["top3"])))
        rules = base.get("rules")
        if kind == "category":
            lines.append("  " + _("基线·派遣规则：规则只给出处置单位，不给出分类（见处置单位）"))
        elif rules:
            lines.append(
                "  "
                + _("基线·派遣规则：宏平均 F1 %(f1)s，首选正确率 %(top1)s（有规则的占 %(covered)s）")
                % {
                    "f1": _pct(rules["macro_f1"]),
                    "top1": _pct(rules["accuracy"]),
                    "covered": _pct(rules["covered"]),
                }
            )
    decision = m.get("decision")
    if decision:
        lines.append("")
        old = decision.get("old")
        if old:
            lines.append(
                _("在用模型 v%(old)s 在同一测试集上：分类宏平均 F1 %(f1)s，处置单位首选正确率 %(unit)s")
                % {
                    "old": decision["against"],
                    "f1": _pct(old["category_macro_f1"]),
                    "unit": _pct(old["unit_accuracy"]),
                }
            )
        lines.append(_("结论：已替换在用模型") if decision["replaced"] else _("结论：保留在用模型"))
    if model.message:
        lines.append(model.message)
    return "\n".join(lines)


class Command(BaseCommand):
    @property
    def help(self):
        return _("用历史工单训练分类与处置单位建议模型，在最近的工单上评估；不差于在用模型时启用")

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=None, help=_("随机种子（默认取设置 ASSIST_SEED）"))
        parser.add_argument(
            "--test-fraction",
            type=float,
            default=None,
            help=_("留作测试的最近工单比例（默认取设置 ASSIST_TEST_FRACTION）"),
        )
        parser.add_argument("--json", action="store_true", help=_("以 JSON 输出结果"))

    def handle(self, *args, **options):
        fraction = options["test_fraction"]
        if fraction is not None and not 0 < fraction < 1:
            raise CommandError(_("--test-fraction 应在 0 和 1 之间"))
        if SuggesterModel.objects.filter(
            state=SuggesterModel.State.TRAINING, started_at__isnull=False
        ).exists():
            self.stderr.write(_("注意：另有模型正在训练"))
        model = training.request_training(
            trigger=SuggesterModel.Trigger.COMMAND, seed=options["seed"], test_fraction=fraction, start=False
        )
        verbose = options["verbosity"] > 1 and not options["json"]
        training.run_training(model.pk, on_progress=(lambda s: self.stderr.write(s)) if verbose else None)
        model.refresh_from_db()
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "version": model.version,
                        "state": model.state,
                        "message": model.message,
                        "seed": model.seed,
                        "train_size": model.train_size,
                        "test_size": model.test_size,
                        "split_at": model.split_at.isoformat() if model.split_at else None,
                        "sha256": model.sha256,
                        "size_bytes": model.size_bytes,
                        "path": model.path,
                        "metrics": model.metrics,
                        "curves": model.curves,
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
        else:
            self.stdout.write(figures_table(model))
        if model.state == SuggesterModel.State.FAILED:
            sys.exit(2)
        if model.state == SuggesterModel.State.REJECTED:
            sys.exit(1)
