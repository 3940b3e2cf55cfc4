"""Inside the optimizer (`g`), the learning-rate schedule picker and the clip field (issue 5)."""

from __future__ import annotations

import math

import pytest
from textual.widgets import Select
from tui_helpers import handed_over, main_screen, open_app, press, settled, status, type_into, wait_until

import playground.engine
from playground.widgets.inside_panel import InsidePanel


def panel(app) -> InsidePanel:  # noqa: ANN001
    return main_screen(app).query_one(InsidePanel)


def shown(app) -> str:  # noqa: ANN001
    return str(panel(app).render())


async def show_panel(app, pilot) -> None:  # noqa: ANN001
    await press(pilot, "g")
    app.main.redraw(force=True)
    await wait_until(pilot, lambda: panel(app).display and bool(shown(app).strip()), what="the panel shown")


def state_of(run, key: str) -> list[float]:  # noqa: ANN001
    p = run.optimizer.param_groups[0]["params"][0]
    return run.optimizer.state[p][key].flatten().tolist()


def fmt(v: float) -> str:
    return f"{v:.4g}"


async def test_g_shows_the_gradient_and_the_momentum_buffer_of_sgd() -> None:
    async with open_app("rosenbrock") as (app, pilot):
        assert not panel(app).display
        await show_panel(app, pilot)
        assert panel(app).display
        text = shown(app)
        gx, gy = app.session.run.gradient
        assert f"g = ({fmt(gx)}, {fmt(gy)})" in text
        assert "empty: made at the first step" in text  # torch makes the buffer at step 1

        await press(pilot, "s", "s", "s")
        app.main.redraw(force=True)
        text = shown(app)
        vx, vy = state_of(app.session.run, "momentum_buffer")
        assert "b: momentum_buffer" in text and f"({fmt(vx)}, {fmt(vy)})" in text
        gx, gy = app.session.run.gradient
        assert f"g = ({fmt(gx)}, {fmt(gy)})" in text

        await press(pilot, "g")
        assert not panel(app).display
        await press(pilot, "s")  # the main keys still act
        assert app.session.run.step_count == 4


async def test_the_panel_reads_the_run_only_while_it_is_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    curvature = playground.engine.Run.curvature
    monkeypatch.setattr(playground.engine.Run, "curvature", lambda self: calls.append(1) or curvature(self))
    async with open_app("rosenbrock") as (app, pilot):
        for _ in range(3):
            await press(pilot, "s")
            app.main.redraw(force=True)
        assert calls == []
        await show_panel(app, pilot)
        assert calls
        seen = len(calls)
        app.main.redraw()  # nothing changed since: no new reading
        assert len(calls) == seen


async def test_adam_state_shows_both_moments_and_the_step_count() -> None:
    async with open_app("beale", optimizer="adam") as (app, pilot):
        await show_panel(app, pilot)
        await press(pilot, "s", "s", "s", "s")
        app.main.redraw(force=True)
        text = shown(app)
        m = state_of(app.session.run, "exp_avg")
        s = state_of(app.session.run, "exp_avg_sq")
        assert "m: exp_avg (mean of g)" in text and f"({fmt(m[0])}, {fmt(m[1])})" in text
        assert "v: exp_avg_sq (mean of g²)" in text and f"({fmt(s[0])}, {fmt(s[1])})" in text
        assert "t: step\n  4\n" in text


async def test_ill_conditioned_bowl_shows_kappa_100_and_the_best_heavy_ball() -> None:
    async with open_app("ill_conditioned") as (app, pilot):
        await show_panel(app, pilot)
        text = shown(app)
        assert "eigenvalues λ1 = 1\n" in text and "λn = 100\n" in text
        assert "condition number κ = 100" in text
        assert "α = (2/(√λ1+√λn))² = 0.0331" in text
        assert "β = ((√κ−1)/(√κ+1))² = 0.669" in text
        assert "now lr 0.018, momentum 0" in text  # what the run uses, beside the best
        assert "exact: the surface is quadratic" in text


async def test_ill_conditioned_bowl_shows_the_gd_optimum_the_rates_and_the_divergence_torch_shows() -> None:
    """Issue 18 item 7: α and β are heavy ball's; beside them plain GD's optimum and rate, heavy
    ball's rate, and the warning that α with momentum 0 diverges once κ > 3 + 2√2. Each figure
    the panel states is computed here with torch, and torch's own GD behaves as it says."""
    import torch

    from playground import scenarios

    f = scenarios.load("ill_conditioned").surface.formula.torch
    hessian = torch.autograd.functional.hessian(lambda p: f(p[0], p[1]), torch.tensor([1.0, 1.0], dtype=torch.float64))
    low, high = torch.linalg.eigvalsh(hessian).tolist()
    kappa = high / low
    gd_lr, gd_rate = 2 / (low + high), (kappa - 1) / (kappa + 1)
    alpha = (2 / (math.sqrt(low) + math.sqrt(high))) ** 2
    beta = ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2
    growth = abs(1 - alpha * high)
    assert kappa > 3 + 2 * math.sqrt(2) and f"{growth:.3g}" == "2.31"

    def distances(lr: float, momentum: float, steps: int) -> list[float]:
        p = torch.tensor([-9.0, 2.0], dtype=torch.float64, requires_grad=True)
        opt = torch.optim.SGD([p], lr=lr, momentum=momentum)
        out = []
        for _ in range(steps):
            opt.zero_grad()
            f(*p.unbind()).backward()
            opt.step()
            out.append(float(p.detach().norm()))
        return out

    diverging = distances(alpha, 0.0, 20)
    assert diverging[-1] > 1e6 * diverging[0]  # α without β: |1 − α·λn| > 1, as the panel warns
    converging = distances(gd_lr, 0.0, 400)
    assert converging[-1] / converging[-2] == pytest.approx(gd_rate, rel=1e-3)  # the rate it states
    heavy = distances(alpha, beta, 400)
    assert heavy[-1] < 1e-20  # heavy ball at (α, β): far faster than plain GD's 0.98 a step
    async with open_app("ill_conditioned") as (app, pilot):
        await show_panel(app, pilot)
        text = shown(app)
        assert f"lr = 2/(λ1+λn) = {gd_lr:.3g}" in text and f"rate (κ−1)/(κ+1) = {gd_rate:.3g}" in text
        assert f"rate √β = {math.sqrt(beta):.3g}" in text and "SGD, momentum β, dampening 0" in text
        assert f"|1 − α·λn| = {growth:.3g} > 1" in text and "α with momentum 0 diverges" in text


async def test_a_flat_direction_is_convex_not_strongly(tmp_path) -> None:  # noqa: ANN001
    """Issue 18 item 19: λ1 = 0 is convex, only not strongly; λ1 < 0 is not convex."""
    import torch

    from playground import scenarios
    from playground.engine import Run
    from playground.settings import resolve

    for formula, said in (("x**2 + 0*y", "convex, not strongly (λ1 = 0)"), ("x**2 - y**2", "not convex here (λ1 < 0)")):
        path = tmp_path / "flat.toml"
        path.write_text(f'[scenario]\nname = "Flat"\nkind = "surface"\n[surface]\nformula = "{formula}"\nx = [-2.0, 2.0]\ny = [-2.0, 2.0]\nstart = [1.0, 1.0]\n')
        scenario = scenarios.load_file(path)
        hessian = torch.autograd.functional.hessian(lambda p: scenario.surface.formula.torch(p[0], p[1]), torch.tensor([1.0, 1.0], dtype=torch.float64))
        low = float(torch.linalg.eigvalsh(hessian)[0])
        assert (low == 0) == ("= 0" in said)
        from playground.app import PlaygroundApp

        app = PlaygroundApp(scenario, load_engine=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await handed_over(pilot, Run(scenario, resolve(scenario)))
            await pilot.pause()
            await show_panel(app, pilot)
            assert said in shown(app) and "condition number" not in shown(app)


async def test_rosenbrock_curvature_is_a_local_estimate_that_moves_with_the_point() -> None:
    async with open_app("rosenbrock") as (app, pilot):
        await show_panel(app, pilot)
        first = shown(app)
        assert "a local estimate" in first and "condition number κ = " in first
        for _ in range(5):
            await press(pilot, "s")
        app.main.redraw(force=True)
        assert shown(app) != first


async def test_a_dataset_shows_sizes_and_norms_not_every_weight() -> None:
    async with open_app("moons") as (app, pilot):
        await show_panel(app, pilot)
        await press(pilot, "s", "s")
        app.main.redraw(force=True)
        text = shown(app)
        n = len(app.session.run.gradient)
        assert n > 100
        assert f"g = {n} numbers, norm" in text
        assert "Curvature" not in text and "Optimizer state, all weights" in text
        # the state covers every layer, not just the first (issue 19, polish)
        state = text.split("Optimizer state, all weights", 1)[1]
        assert f"{n} numbers, norm" in state, state


async def test_plain_sgd_says_it_keeps_no_state_from_the_start() -> None:
    """Issue 19, polish: plain SGD said `empty: made at the first step`, then `keeps none`."""
    async with open_app("rosenbrock", optimizer="sgd", hyper={"momentum": 0.0, "nesterov": False}) as (app, pilot):
        await show_panel(app, pilot)
        assert "plain SGD" in shown(app) and "made at the first step" not in shown(app)
        await press(pilot, "s", "s")
        app.main.redraw(force=True)
        assert "plain SGD" in shown(app)


# ------------------------------------------------------------------ schedule and clipping


async def pick_schedule(app, pilot, name: str) -> None:  # noqa: ANN001
    main_screen(app).query_one("#pick-schedule", Select).value = name  # as picking it does
    await wait_until(pilot, lambda: app.session.config.schedule == name, what=f"the {name} schedule in force")


async def test_a_step_schedule_halves_the_lr_every_step_size_steps_from_where_it_was_chosen() -> None:
    async with open_app("rosenbrock") as (app, pilot):
        for _ in range(20):
            await press(pilot, "s")
        await pick_schedule(app, pilot, "step")
        assert app.session.config.schedule == "step"
        # the chosen schedule's parameters appear as fields
        assert main_screen(app).query_one("#field-sched-step_size").value == "100"
        await type_into(pilot, "#field-sched-step_size", "10")
        await type_into(pilot, "#field-sched-gamma", "0.5")
        assert app.session.config.schedule_params == {"step_size": 10, "gamma": 0.5}
        assert "schedule step step_size=10 gamma=0.5 from step 20" in status(app)
        await press(pilot, "escape")
        for _ in range(9):
            await press(pilot, "s")
        assert "lr 0.001 " in status(app)  # step 29: still the first rate
        await press(pilot, "s")
        assert "lr 0.0005 " in status(app)  # 10 steps after it was chosen (step 30)
        for _ in range(10):
            await press(pilot, "s")
        assert "lr 0.00025 " in status(app)


async def test_a_bad_schedule_parameter_is_marked_and_the_last_good_one_kept() -> None:
    async with open_app("rosenbrock") as (app, pilot):
        await pick_schedule(app, pilot, "exponential")
        await type_into(pilot, "#field-sched-gamma", "abc")
        assert "is not a number" in str(main_screen(app).query_one("#error-sched-gamma").render())
        assert main_screen(app).query_one("#field-sched-gamma").has_class("-invalid")
        assert app.session.config.schedule_params == {"gamma": 0.99}
        await type_into(pilot, "#field-sched-gamma", "0.9")
        assert not main_screen(app).query_one("#field-sched-gamma").has_class("-invalid")
        await press(pilot, "escape", "s", "s")
        assert app.session.run.lr == pytest.approx(0.001 * 0.9**2)


async def test_the_schedule_and_clip_survive_a_change_of_optimizer() -> None:
    async with open_app("rosenbrock") as (app, pilot):
        await pick_schedule(app, pilot, "cosine")
        await type_into(pilot, "#field-clip", "2")
        main_screen(app).query_one("#pick-optimizer", Select).value = "adam"
        await wait_until(pilot, lambda: app.session.config.optimizer == "adam", what="adam in force")
        assert app.session.config.optimizer == "adam" and app.session.config.schedule == "cosine" and app.session.config.clip == 2.0
        assert main_screen(app).query_one("#pick-schedule", Select).value == "cosine"
        assert main_screen(app).query_one("#field-clip").value == "2"


async def test_clip_limits_each_sgd_step_to_lr_times_the_clip() -> None:
    async with open_app("ill_conditioned") as (app, pilot):  # plain SGD, lr 0.018, |g| ~ 200 at the start
        run = app.session.run
        lr = run.lr
        assert math.hypot(*run.gradient) > 100
        await type_into(pilot, "#field-clip", "1")
        assert app.session.config.clip == 1.0 and "clip 1 from step 0" in status(app)
        before = run.point
        await press(pilot, "escape", "s")
        moved = math.dist(before, run.point)
        assert moved == pytest.approx(lr * 1.0, rel=1e-6)  # torch divides by norm + 1e-6

        await type_into(pilot, "#field-clip", "-1")
        assert "-1 is out of range: it must be >= 0" in str(main_screen(app).query_one("#error-clip").render())
        assert app.session.config.clip == 1.0
        await type_into(pilot, "#field-clip", "0")  # off
        norm = math.hypot(*run.gradient)
        before = run.point
        await press(pilot, "escape", "s")
        assert math.dist(before, run.point) == pytest.approx(lr * norm, rel=1e-9)


async def test_the_new_letter_keys_are_typed_into_a_focused_field() -> None:
    async with open_app("rosenbrock") as (app, pilot):
        await pilot.click("#field-lr")
        await wait_until(pilot, lambda: main_screen(app).query_one("#field-lr").has_focus, what="the lr field focused")
        await press(pilot, "end", "g", "w", "e")
        assert main_screen(app).query_one("#field-lr").value == "0.001gwe"
        assert not panel(app).display and len(app.screen_stack) == 1
        await press(pilot, "escape", "g")
        assert panel(app).display


def test_an_arrow_points_the_way_on_screen_and_has_the_same_length_whatever_the_vector() -> None:
    from playground.widgets.inside_panel import arrow

    xlim, ylim = (-10.0, 10.0), (-3.0, 3.0)  # the ill-conditioned bowl's axes
    small = arrow("gradient", (0.0, 0.0), (1.0, 0.0), xlim, ylim, aspect=0.5)
    big = arrow("gradient", (0.0, 0.0), (500.0, 0.0), xlim, ylim, aspect=0.5)
    assert small == big and small.glyph == "→" and small.xs[1] > 0 and small.ys == (0.0, 0.0)
    down = arrow("gradient", (1.0, 1.0), (0.0, -3.0), xlim, ylim, aspect=0.5)
    assert down.glyph == "↓" and down.xs == (1.0, 1.0) and down.ys[1] < 1.0
    # the same on-screen length: a twentieth of the width in x is a sixth of the height in y
    across = (small.xs[1] - small.xs[0]) / (xlim[1] - xlim[0])
    upward = (down.ys[0] - down.ys[1]) / (ylim[1] - ylim[0]) * 0.5
    assert across == pytest.approx(upward)
    assert arrow("gradient", (0.0, 0.0), (0.0, 0.0), xlim, ylim) is None  # no direction at a minimum
    assert arrow("gradient", (0.0, 0.0), (float("nan"), 1.0), xlim, ylim) is None


def map_cells(app) -> list[list[tuple[str, tuple[int, int, int] | None]]]:  # noqa: ANN001
    """The map as shown, cell by cell: (character, foreground colour)."""
    plot = main_screen(app).query_one("#map")
    out = []
    for y in range(plot.size.height):
        row = []
        for seg in plot.render_line(y):
            colour = seg.style.color.get_truecolor() if seg.style and seg.style.color else None
            row += [(ch, tuple(colour) if colour is not None else None) for ch in seg.text]
        out.append(row)
    return out


def heads(app, colour: tuple[int, int, int]) -> list[tuple[int, int, str]]:  # noqa: ANN001
    from playground.widgets.inside_panel import ARROWS

    return [(x, y, ch) for y, row in enumerate(map_cells(app)) for x, (ch, c) in enumerate(row) if ch in ARROWS and c == colour]


async def test_g_draws_minus_the_gradient_and_minus_the_momentum_as_arrows_on_the_map() -> None:
    from playground.widgets.inside_panel import GRADIENT_COLOUR, MOMENTUM_COLOUR

    async with open_app("rosenbrock") as (app, pilot):  # SGD with momentum
        for _ in range(5):
            await press(pilot, "s")
        app.main.redraw(force=True)
        await settled(pilot)
        assert heads(app, GRADIENT_COLOUR) == [] and heads(app, MOMENTUM_COLOUR) == []
        await show_panel(app, pilot)
        await wait_until(pilot, lambda: len(heads(app, GRADIENT_COLOUR)) == 1 and len(heads(app, MOMENTUM_COLOUR)) == 1, what="both arrows")
        (gx, gy, g_glyph), = heads(app, GRADIENT_COLOUR)
        (vx, vy, v_glyph), = heads(app, MOMENTUM_COLOUR)
        now = [(x, y) for y, row in enumerate(map_cells(app)) for x, (ch, _) in enumerate(row) if ch == "●"]
        assert len(now) == 1
        nx, ny = now[0]
        g = app.session.run.gradient
        v = state_of(app.session.run, "momentum_buffer")
        # the heads lie the way -g and -v point (screen rows grow downwards)
        assert (gx - nx) * -g[0] >= 0 and (gy - ny) * g[1] >= 0 and (gx, gy) != (nx, ny)
        assert (vx - nx) * -v[0] >= 0 and (vy - ny) * v[1] >= 0 and (vx, vy) != (nx, ny)
        assert g_glyph == "→" and v_glyph in "↙↓"  # g = (-285, -102), v = (112, 241) at step 5
        await press(pilot, "g")
        app.main.redraw(force=True)
        await wait_until(pilot, lambda: heads(app, GRADIENT_COLOUR) == [] and heads(app, MOMENTUM_COLOUR) == [], what="the arrows gone")
        assert heads(app, GRADIENT_COLOUR) == [] and heads(app, MOMENTUM_COLOUR) == []
