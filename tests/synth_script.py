"""A scripted model for the synthesis pipeline's tests, served by FakeOpenAI: it recognises each
stage's prompt and answers as the test's story needs (valid, malformed, wrong then right).

Markers in a question's text steer it:
- 【难】: every rationale predicts a wrong answer (pruned after T attempts);
- 【改】: the first rationale is wrong, the second right;
- 【退】: the revised rationales of the refinement rounds are wrong (reverted);
- 【挑战】: every model of the selection panel answers wrongly (challenging).
A text chunk holding 【乱】 gets an unusable reply on the first attempt, JSON on the second.
"""

from __future__ import annotations

import json
import threading
from collections import Counter


class SynthScript:
    def __init__(self, gold: dict[str, str]) -> None:
        self.gold = dict(gold)  # question stem -> answer letters
        self.seen: Counter[str] = Counter()
        self.made = 0
        self.lock = threading.Lock()

    def __call__(self, model: str, messages: list[dict[str, str]]) -> str:
        prompt = messages[-1]["content"]
        with self.lock:
            self.seen[prompt] += 1
            count = self.seen[prompt]
        if "专业评估员" in prompt:
            return "不合理" if "一切都会好起来" in prompt else "合理"
        if "命题专家" in prompt:
            return self._questions(prompt, count)
        if "彼此高度相似" in prompt:
            return '```json\n{"best_index": "2", "reason": "信息更完整"}\n```'
        if "判断下面的心理学题目是否合理" in prompt:
            return "不合理" if "根据上文" in self._asked(prompt) else "合理"
        if "提示词优化专家" in prompt:
            return "改进的提示词：请先界定概念，再逐项排除选项。"
        if "推理过程和预测答案" in prompt:
            return self._rationale(prompt, count)
        if "阅卷专家" in prompt:
            return '{"best_rational_index": "2", "reason": "更严谨"}'
        if "直接输出选项的字母" in prompt:
            return self._letter(model, prompt)
        if "站在用户的角度完善问题" in prompt:
            return "我最近总是失眠，白天也很焦虑，不知道该怎么调整。"
        if "改写下面咨询师" in prompt:
            return (
                "听到你的经历，我真想给你一个温暖的拥抱。失眠常和压力有关；可以固定作息、睡前放松呼吸十分钟。"
            )
        return "？"

    def _asked(self, prompt: str) -> str:
        return prompt.split("# 题目：")[-1]

    def _stem(self, prompt: str) -> str:
        asked = self._asked(prompt)
        for stem in self.gold:
            if stem in asked:
                return stem
        raise AssertionError(f"the script knows no question in: {asked[:80]}")

    def _questions(self, prompt: str, count: int) -> str:
        if "【乱】" in prompt and count == 1:
            return "好的，我来出题：第一题……"
        kind = "多项" if "多项选择题（" in prompt else "单项"
        questions = []
        for _ in range(2):
            with self.lock:
                self.made += 1
                number = self.made
            # Characters no other question uses: generated questions are never near-duplicates.
            words = "".join(chr(0x4E00 + 40 * number + i) for i in range(24))
            stem = f"{kind}生成题{number}：{words[:16]}？"
            answer = "AB" if kind == "多项" else "B"
            with self.lock:
                self.gold[stem] = answer
            options = " ".join(f"{label}. {words[16 + 2 * i : 18 + 2 * i]}" for i, label in enumerate("ABCD"))
            questions.append({"question": stem, "options": options, "answer": answer, "type": kind})
        questions.append({"question": "", "options": "A. x B. y", "answer": "A", "type": "单项"})  # invalid
        return "```json\n" + json.dumps(questions, ensure_ascii=False) + "\n```"

    def _rationale(self, prompt: str, count: int) -> str:
        stem = self._stem(prompt)
        gold = self.gold[stem]
        wrong = "D" if gold != "D" else "C"
        revised = "改进的提示词" in prompt
        if (
            "【难】" in stem
            or ("【改】" in stem and count == 1 and not revised)
            or ("【退】" in stem and revised)
        ):
            prediction = wrong
        else:
            prediction = gold
        rationale = ("改进推理：" if revised else "初始推理：") + f"分析{stem[:6]}，得出{prediction}。"
        return json.dumps({"rationale": rationale, "prediction": prediction}, ensure_ascii=False)

    def _letter(self, model: str, prompt: str) -> str:
        stem = self._stem(prompt)
        gold = self.gold[stem]
        if "【挑战】" in stem:
            return "D" if gold != "D" else "C"
        return gold
