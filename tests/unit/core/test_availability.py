"""The rule behind the home tiles: a journey is offered only when it can finish."""

from __future__ import annotations

import itertools

from kiosk.core.availability import failed_parts, journey_availability, out_of_service


def test_a_dossier_needs_only_a_writable_outbox():
    for printer, camera, backend in itertools.product((True, False), repeat=3):
        assert journey_availability(printer, camera, backend, outbox_ok=True)["procedure"]
        assert not journey_availability(printer, camera, backend, outbox_ok=False)["procedure"]


def test_a_number_needs_the_backend_or_the_printer():
    assert journey_availability(printer_ok=False, camera_ok=False, backend_ok=True, outbox_ok=False)["number"]
    assert journey_availability(printer_ok=True, camera_ok=False, backend_ok=False, outbox_ok=False)["number"]
    assert not journey_availability(printer_ok=False, camera_ok=True, backend_ok=False, outbox_ok=True)["number"]


def test_look_up_and_rating_need_the_backend():
    up = journey_availability(printer_ok=False, camera_ok=False, backend_ok=True, outbox_ok=False)
    down = journey_availability(printer_ok=True, camera_ok=True, backend_ok=False, outbox_ok=True)
    assert up["lookup"] and up["rating"]
    assert not down["lookup"] and not down["rating"]


def test_a_kiosk_without_a_backend_looks_up_its_own_outbox_and_takes_no_ratings():
    alone = journey_availability(printer_ok=True, camera_ok=True, backend_ok=True, outbox_ok=True, has_backend=False)
    assert alone == {"number": True, "procedure": True, "lookup": True, "rating": False}


def test_the_camera_alone_never_closes_a_journey():
    for printer, backend, outbox in itertools.product((True, False), repeat=3):
        assert (journey_availability(printer, True, backend, outbox)
                == journey_availability(printer, False, backend, outbox))


def test_everything_down_is_out_of_service_and_names_every_part():
    availability = journey_availability(printer_ok=False, camera_ok=False, backend_ok=False, outbox_ok=False)
    assert out_of_service(availability)
    assert failed_parts(False, False, False, False) == ["printer", "camera", "backend", "outbox"]
    assert not out_of_service(journey_availability(False, False, False, outbox_ok=True))
