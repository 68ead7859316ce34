"""The guide video panel: play, pause, replay; a still in its place when the video is missing or broken."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QStackedWidget, QVBoxLayout, QWidget

from kiosk.ui.i18n import Text, tr
from kiosk.ui.widgets import button, label, panel

log = logging.getLogger(__name__)


class FrameView(QWidget):
    """Paints the latest video frame, letterboxed. Frames come from a QVideoSink (converted on the
    media thread's schedule, painted here), which also works offscreen and in screenshots."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("video-frame")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 180)
        self.image: QImage | None = None

    def show_frame(self, frame) -> None:
        if frame.isValid():
            self.image = frame.toImage()
            self.update()

    def clear(self) -> None:
        self.image = None
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#000000"))
        if self.image is not None and not self.image.isNull():
            scaled = self.image.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                       Qt.TransformationMode.SmoothTransformation)
            painter.drawImage((self.width() - scaled.width()) // 2, (self.height() - scaled.height()) // 2, scaled)
        painter.end()


class VideoPanel(QWidget):
    sig_state_changed = Signal(str)
    """"playing", "paused", "ended" or "still" (no playable video)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.language = "vi"
        self.state = "still"
        self._player = None
        self._audio = None
        self._path: Path | None = None
        self._loads = 0  # counts load(): a stop_soon() queued before a load must not stop the new video
        self._still_text: Text = {"vi": "", "en": ""}
        self.stack = QStackedWidget(self)
        self.still, still_layout = panel()
        self.still.setObjectName("video-still")
        self.still_title = label(role="subtitle")
        self.still_body = label()
        still_layout.addWidget(self.still_title)
        still_layout.addWidget(self.still_body, 1)
        self.stack.addWidget(self.still)
        self.video_widget = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack, 1)
        controls = QHBoxLayout()
        self.play_button = button(None, self.toggle, name="video-play")
        self.replay_button = button(None, self.replay, name="video-replay")
        controls.addWidget(self.play_button)
        controls.addWidget(self.replay_button)
        layout.addLayout(controls)
        self.retranslate_ui(self.language)

    def _ensure_player(self) -> bool:
        if self._player is not None:
            return True
        try:
            from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer, QVideoSink
        except ImportError:
            log.warning("QtMultimedia is not available: guide videos show a still")
            return False
        self.video_widget = FrameView(self)
        self.stack.addWidget(self.video_widget)
        self._player = QMediaPlayer(self)
        self._audio = QAudioOutput(self)
        self._player.setAudioOutput(self._audio)
        self._sink = QVideoSink(self)
        self._sink.videoFrameChanged.connect(self.video_widget.show_frame)
        self._player.setVideoOutput(self._sink)
        self._player.errorOccurred.connect(self._on_player_error)
        self._player.mediaStatusChanged.connect(self._on_player_media_status)
        self._player.playbackStateChanged.connect(self._on_player_playback_state)
        return True

    def load(self, path: Path | None, still: Text, autoplay: bool = True) -> None:
        """Show ``path``; ``still`` (the steps, as text) stands in when it cannot play."""
        self._still_text = still
        self._path = path
        self._loads += 1
        self.retranslate_ui(self.language)
        if path is None or not Path(path).is_file() or not self._ensure_player():
            self._show_still("missing")
            return
        self.stack.setCurrentWidget(self.video_widget)
        self._player.setSource(QUrl.fromLocalFile(str(path)))
        self.state = "paused"
        if autoplay:
            self._player.play()
        self._update_buttons()

    def stop(self) -> None:
        if self._player is not None:
            self._player.stop()
            self._player.setSource(QUrl())
            self.video_widget.clear()
        self._path = None

    def stop_soon(self) -> None:
        """Stop on the next turn of the event loop: tearing the decoder down takes ~7 ms of the GUI thread,
        and the screen that replaces this one should paint first."""
        loads = self._loads
        QTimer.singleShot(0, self, lambda: self.stop() if self._loads == loads else None)

    def toggle(self) -> None:
        if self._player is None or self.state == "still":
            return
        from PySide6.QtMultimedia import QMediaPlayer

        if self._player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            self._player.pause()
        else:
            self._player.play()

    def replay(self) -> None:
        if self._player is None or self.state == "still":
            return
        self._player.setPosition(0)
        self._player.play()

    def _show_still(self, why: str) -> None:
        log.info("guide video shows a still (%s): %s", why, self._path)
        if self._player is not None:
            self._player.stop()
        self.stack.setCurrentWidget(self.still)
        self.state = "still"
        self._update_buttons()
        self.sig_state_changed.emit(self.state)

    def _on_player_error(self, error, message: str = "") -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        if error != QMediaPlayer.Error.NoError:
            self._show_still(f"error {message}")

    def _on_player_media_status(self, status) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        if status == QMediaPlayer.MediaStatus.InvalidMedia:
            self._show_still("invalid media")
        elif status == QMediaPlayer.MediaStatus.EndOfMedia:
            self.state = "ended"
            self._update_buttons()
            self.sig_state_changed.emit(self.state)

    def _on_player_playback_state(self, state) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        if self.state == "still":
            return
        if state == QMediaPlayer.PlaybackState.PlayingState:
            self.state = "playing"
        elif self.state != "ended":
            self.state = "paused"
        self._update_buttons()
        self.sig_state_changed.emit(self.state)

    def _update_buttons(self) -> None:
        has_video = self.state != "still"
        self.play_button.setEnabled(has_video)
        self.replay_button.setEnabled(has_video)
        self.retranslate_ui(self.language)

    def retranslate_ui(self, language: str) -> None:
        self.language = language
        playing = self.state == "playing"
        self.play_button.setText(tr({"vi": "❚❚ Tạm dừng", "en": "❚❚ Pause"} if playing
                                    else {"vi": "▶ Phát video", "en": "▶ Play video"}, language))
        self.replay_button.setText(tr({"vi": "↺ Xem lại", "en": "↺ Replay"}, language))
        self.still_title.setText(tr({"vi": "Hướng dẫn từng bước (chưa có video)",
                                     "en": "Step-by-step guide (no video available)"}, language)
                                 if self.state == "still" else "")
        self.still_body.setText(tr(self._still_text, language))
