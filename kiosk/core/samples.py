"""Clearly fictitious test citizens, for the simulated camera, the demo and the tests.

Names carry "Thử"/"Mẫu" (test/sample) so nobody mistakes a demo print for a real dossier.
"""

from __future__ import annotations

from datetime import date

#: The ward the demo, the walkthrough and the tests stand in (Phường Cửa Nam, Thành phố Hà Nội). Never a
#: default of the configuration: a real kiosk names its own ward or shows the setup screen.
SAMPLE_WARD_CODE = "00073"

TEST_CITIZENS: list[dict] = [
    {
        "id_number": "001099012345",
        "full_name": "Nguyễn Văn Thử",
        "date_of_birth": date(1999, 3, 15),
        "sex": "male",
        "address": "Số 12 phố Hàng Bài, Phường Hàng Bài, Quận Hoàn Kiếm, Hà Nội",
        "issue_date": date(2021, 4, 10),
        "old_id_number": "012345678",
    },
    {
        "id_number": "079301004567",
        "full_name": "Trần Thị Mẫu",
        "date_of_birth": date(2001, 11, 2),
        "sex": "female",
        "address": "Số 5 đường Lê Lợi, Phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh",
        "issue_date": date(2022, 6, 20),
        "old_id_number": "",
    },
    {
        "id_number": "022184000321",
        "full_name": "Lê Thị Kiểm Tra",
        "date_of_birth": date(1984, 7, 27),
        "sex": "female",
        "address": "Tổ 3, Phường Hồng Gai, Thành phố Hạ Long, Quảng Ninh",
        "issue_date": date(2021, 9, 1),
        "old_id_number": "100123456",
    },
]

#: The phone number the walkthrough types for the first test citizen (cards carry none).
TEST_PHONE = "0912345678"


def sample_payload(index: int = 0) -> str:
    """The card QR payload of test citizen ``index``."""
    from kiosk.core.identity import build_id_qr  # the demo's, not every start-up's

    return build_id_qr(**TEST_CITIZENS[index])
