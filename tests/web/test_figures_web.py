"""Figures served: image files stored at sync and served by content hash, plots stored with each variant."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from quizserver.banksync import rerender_stale_pools, sync_banks
from quizserver.catalog import served_bank
from quizserver.extensions import db
from quizserver.models import BankVersion, FigureFile, PoolVariant, User
from quizserver.render import RENDER_VERSION
from tests.conftest import AuthActions
from tests.unit.test_figures import png

SVG_FILE = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 80 40"><metadata>editor</metadata>'
            b'<rect width="80" height="40" fill="#08c"/></svg>')
BANK = """\
version: 1
week: 9
title: Figures
questions:
  - id: boxes
    type: numeric
    points: 1
    text: |
      How wide is the box?

      ![a blue box, 80 units wide](images/box.svg)
    explanation: |
      ![a grey dot](images/dot.png)
    solution: answer = 80
  - id: curve
    type: integer
    points: 1
    text: After which epoch is the loss lowest?
    params:
      best: {randint: [2, 7]}
    solution: |
      epochs = np.arange(1, 11)
      loss = 0.5 + 0.05 * np.abs(epochs - best)
      answer = best
    plot:
      title: Validation loss
      alt: The loss falls to a minimum, then rises.
      x_label: epoch
      y_label: loss
      series:
        - {kind: line, x: epochs, y: loss, label: validation}
"""


@pytest.fixture
def figure_app(bare_app: Flask, tmp_path: Path) -> Flask:
    folder = tmp_path / "banks"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "box.svg").write_bytes(SVG_FILE)
    (folder / "images" / "dot.png").write_bytes(png(4, 3))
    (folder / "week09.yaml").write_text(BANK)
    with bare_app.app_context():
        report = sync_banks([folder], variants=3)
        assert report.ok, [str(p) for f in report.files for p in f.problems]
        db.session.commit()
    return bare_app


@pytest.fixture
def signed_in(figure_app: Flask, make_user: Callable[..., User], auth: AuthActions, client: FlaskClient) -> FlaskClient:
    assert auth.login(make_user("student").email).status_code == 302
    return client


def _stored(app: Flask, media_type: str = "image/svg+xml") -> FigureFile:
    with app.app_context():
        [row] = db.session.scalars(select(FigureFile).where(FigureFile.media_type == media_type)).all()
        db.session.expunge(row)
        return row


def test_sync_stores_the_sanitised_image_and_pages_point_at_it(figure_app: Flask, signed_in: FlaskClient) -> None:
    stored = _stored(figure_app)
    assert stored.media_type == "image/svg+xml" and b"metadata" not in stored.data
    with figure_app.app_context():
        images = db.session.get_one(BankVersion, served_bank(9).version.id).images
        pool = db.session.scalars(select(PoolVariant).where(PoolVariant.question_id == "boxes")).all()
        assert images["images/box.svg"] == {"file": stored.name, "width": 80, "height": 40}
        assert images["images/dot.png"] == {"file": _stored(figure_app, "image/png").name, "width": 4, "height": 3}
        assert [row.text_html.count(f'src="/figures/{stored.name}"') for row in pool] == [1]
        dot = _stored(figure_app, "image/png").name
        assert [row.explanation_html.count(f'src="/figures/{dot}" alt="a grey dot" width="4" height="3"')
                for row in pool] == [1]
    page = signed_in.get("/weeks/9").get_data(as_text=True)
    assert f'<img src="/figures/{stored.name}" alt="a blue box, 80 units wide" width="80" height="40"' in page


@pytest.mark.parametrize("media_type", ["image/svg+xml", "image/png"])
def test_the_image_route_serves_the_file_with_its_type_and_caching(
    figure_app: Flask, signed_in: FlaskClient, media_type: str
) -> None:
    stored = _stored(figure_app, media_type)
    response = signed_in.get(f"/figures/{stored.name}")
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert response.data == stored.data
    assert "immutable" in response.headers["Cache-Control"] and "max-age=31536000" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "sandbox" in response.headers["Content-Security-Policy"]
    again = signed_in.get(f"/figures/{stored.name}", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


@pytest.mark.parametrize("path", [
    "/figures/../../etc/passwd",
    "/figures/..%2f..%2fetc%2fpasswd",
    "/figures/%2e%2e/app.py",
    "/figures/....//....//etc/passwd",
    "/figures/" + "0" * 64 + ".svg",  # well formed, not stored
    "/figures/" + "0" * 64 + ".exe",
    "/figures/" + "0" * 63 + ".svg",
    "/figures/images/box.svg",
    "/figures/box.svg",
    "/figures/%00.svg",
    "/figures/",
])
def test_the_image_route_refuses_anything_but_a_stored_name(signed_in: FlaskClient, path: str) -> None:
    response = signed_in.get(path)
    assert response.status_code in (400, 404)
    assert b"root:" not in response.data and b"create_app" not in response.data


def test_the_image_route_needs_a_login(figure_app: Flask, client: FlaskClient) -> None:
    stored = _stored(figure_app)
    response = client.get(f"/figures/{stored.name}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_each_variant_stores_its_own_plot(figure_app: Flask, signed_in: FlaskClient) -> None:
    with figure_app.app_context():
        pool = db.session.scalars(
            select(PoolVariant).where(PoolVariant.question_id == "curve").order_by(PoolVariant.slot)
        ).all()
        assert len(pool) == 3
        for row in pool:
            assert row.text_html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart plot"') == 1
            assert 'role="img" aria-label="Validation loss. The loss falls to a minimum, then rises."' in row.text_html
            assert {"epochs", "loss"} <= set(row.names)  # kept, so the plot can be drawn again
            best = row.params["best"]
            assert f"<title>validation: ({best}, 0.5)</title>" in row.text_html
    page = signed_in.get("/weeks/9").get_data(as_text=True)
    assert '<figure class="plot-figure">' in page


def test_a_new_renderer_draws_images_and_plots_again_from_what_was_stored(figure_app: Flask) -> None:
    stored = _stored(figure_app)
    with figure_app.app_context():
        before = dict(db.session.execute(select(PoolVariant.id, PoolVariant.text_html)).all())
        db.session.execute(update(PoolVariant).values(render_version=RENDER_VERSION - 1, text_html=""))
        assert rerender_stale_pools() == len(before)
        after = dict(db.session.execute(select(PoolVariant.id, PoolVariant.text_html)).all())
        db.session.rollback()
    assert after == before
    assert any(f"/figures/{stored.name}" in html for html in after.values())


def test_an_edited_image_is_a_new_version_with_a_new_address(figure_app: Flask, tmp_path: Path) -> None:
    first = _stored(figure_app)
    (tmp_path / "banks" / "images" / "box.svg").write_bytes(SVG_FILE.replace(b"#08c", b"#c80"))
    with figure_app.app_context():
        report = sync_banks([tmp_path / "banks"], variants=3)
        assert [f.outcome for f in report.files] == ["new"]
        db.session.commit()
        names = set(db.session.scalars(select(FigureFile.name).where(FigureFile.media_type == "image/svg+xml")))
        html = db.session.scalar(select(PoolVariant.text_html).where(
            PoolVariant.question_id == "boxes", PoolVariant.bank_version_id == served_bank(9).version.id))
    assert first.name in names and len(names) == 2  # the old file stays for pages of the old version
    new = (names - {first.name}).pop()
    assert f"/figures/{new}" in html and first.name not in html


def test_banks_that_show_the_same_image_store_it_once(bare_app: Flask, tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "box.svg").write_bytes(SVG_FILE)
    (folder / "images" / "copy.svg").write_bytes(SVG_FILE)
    (folder / "images" / "dot.png").write_bytes(png())
    (folder / "week09.yaml").write_text(BANK)
    week10 = BANK.replace("week: 9", "week: 10").replace("images/box.svg", "images/copy.svg")
    (folder / "week10.yaml").write_text(week10)
    with bare_app.app_context():
        report = sync_banks([folder], variants=2)
        assert report.ok, [str(p) for f in report.files for p in f.problems]
        db.session.commit()
        assert len(db.session.scalars(select(FigureFile.name)).all()) == 2  # box.svg and dot.png, once each
        images = [db.session.get_one(BankVersion, served_bank(w).version.id).images for w in (9, 10)]
    assert images[0]["images/box.svg"] == images[1]["images/copy.svg"]


def test_the_instructor_preview_shows_each_variants_plot_and_the_image(
    figure_app: Flask, make_user: Callable[..., User], auth: AuthActions, client: FlaskClient
) -> None:
    assert auth.login(make_user("instructor").email).status_code == 302
    stored = _stored(figure_app)
    plots = {client.get(f"/instructor/preview/9/curve?variant={n}").get_data(as_text=True) for n in (1, 2, 3)}
    assert all('<figure class="plot-figure">' in page and 'role="img"' in page for page in plots)
    assert f'src="/figures/{stored.name}"' in client.get("/instructor/preview/9/boxes").get_data(as_text=True)
