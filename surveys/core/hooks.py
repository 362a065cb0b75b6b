"""Named extension points: a lower domain runs the steps a higher one registered with it.

The analysis domain must not call the roadmap upward, yet roadmap links follow every stored
analysis; a workspace must start with themes, yet themes belong to the analysis domain. Each such
moment is a :class:`Hook` owned by the lower domain; :mod:`surveys.wiring` registers the higher
domains' steps on it, once, and ``create_app`` calls that, so every step can be found from there.
"""

from collections.abc import Callable


class Hook:
    def __init__(self, name: str) -> None:
        self.name = name
        self._steps: list[Callable[..., object]] = []

    def register(self, step: Callable[..., object]) -> Callable[..., object]:
        if step not in self._steps:  # create_app may run many times in one process
            self._steps.append(step)
        return step

    def run(self, *args, **kwargs) -> None:
        for step in self._steps:
            step(*args, **kwargs)

    def collect(self, *args, **kwargs) -> list:
        """Run every step and return what each gave back, in registration order (None left out):
        for hooks whose steps contribute parts, such as the sections of a digest email."""
        results = (step(*args, **kwargs) for step in self._steps)
        return [result for result in results if result is not None]

    def __repr__(self) -> str:
        return f"Hook({self.name!r}, steps={[s.__qualname__ for s in self._steps]})"
