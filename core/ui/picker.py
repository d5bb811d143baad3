"""Where faces come from: bundled portraits, uploads, the camera and the configured CelebA folder.

``face_picker(ctx, page)`` draws the chooser and returns the chosen, aligned face (or None with a
message); the choice is the shared ``face`` reference (ffa_lab.ui.state), so every page and the URL agree.
"""

from __future__ import annotations

import streamlit as st

from ffa_lab.data.attributes import ATTRIBUTES
from ffa_lab.ui import cache, state
from ffa_lab.ui.errors import guarded
from ffa_lab.ui.sidebar import AppContext
from ffa_lab.views import face_choice, faces_data
from ffa_lab.views.faces_data import PreparedFace, bytes_ref, face_kind

SOURCES = {"portrait": "Bundled portrait", "dataset": "CelebA dataset", "upload": "Upload", "camera": "Camera"}
UPLOADED_ELSEWHERE = (
    "This face was uploaded in another browser session: pictures are never stored on the server, so upload it "
    "again (or pick another face) to see this view."
)
UPLOAD_TYPES = ["jpg", "jpeg", "png", "webp", "bmp", "gif", "tif", "tiff"]


def face_picker(ctx: AppContext, page: str, *, expanded: bool = True, show_faces: bool = True) -> PreparedFace | None:
    """Draw the face chooser for ``page`` and return the chosen face, aligned (None when there is none).

    A photo with several faces gets a "which face" chooser (the shared ``face_n``, also in the URL) and,
    with ``show_faces``, the photo with every face numbered (pages that draw their own overview pass False).
    """
    current = state.get("face")
    with st.expander("Face: choose where it comes from", expanded=expanded):
        bound = state.remembered(state.page_key(page, "source"), face_kind(current), current)
        source = st.radio("Face from", list(SOURCES), format_func=SOURCES.get, horizontal=True, **bound)
        if source == "portrait":
            ref = _portrait(page, current)
        elif source == "dataset":
            ref = _dataset(ctx, page, current)
        else:
            ref = _upload(page, source, current)
    if ref is None:
        return None
    state.publish(face=ref)  # also puts the face in the URL of a freshly opened page (shareable view)
    face = load_face(ctx, ref, state.face_number(ref))
    if face is not None:
        st.caption(f"Face: **{face.title}** (`{face.ref}`)")
        choose_face(page, face, show_faces)
    return face


def choose_face(page: str, face: PreparedFace, show_faces: bool = True) -> None:
    """With several faces in the photo: the numbered overview (``show_faces``) and the "which face" chooser."""
    caption = face_choice.faces_caption(face)
    if caption:
        st.caption(caption)
    if len(face.faces) < 2:
        return
    if show_faces:
        st.image(face_choice.numbered_photo(face), caption="Detected faces, numbered best first")
    labels = face_choice.face_labels(face)
    bound = state.bind(state.page_key(page, "face_n"), face.chosen, lambda v: state.publish(face_n=int(v)))
    st.selectbox("Which face", list(range(len(labels))), format_func=labels.__getitem__, **bound)


def load_face(ctx: AppContext, ref: str, face_n: int = 0) -> PreparedFace | None:
    """The aligned face named by ``ref`` (face ``face_n`` of a photo with several); shows why when it cannot
    be had."""
    kind, name = face_kind(ref), ref.split(":", 1)[1]
    if kind == "portrait":
        return guarded("Loading the portrait", cache.portrait_face, name, face_n)
    if kind == "dataset":
        if ctx.require_dataset("This face is from the CelebA dataset, so it") is None:
            return None
        return guarded("Loading the dataset image", cache.dataset_face, ctx.dataset_folder, name)
    stored = state.upload_for(ref)
    if stored is None:
        st.warning(UPLOADED_ELSEWHERE, icon="ℹ️")
        return None
    data, filename, assume_aligned = stored
    return guarded(f"Reading {filename}", cache.bytes_face, ref, data, filename, assume_aligned, face_n)


def _select(label: str, options: list[str], key: str, wanted: str, prefix: str, **kwargs) -> str:
    """A selectbox showing the shared face ``wanted`` (first option when not offered); a choice publishes
    ``prefix + option`` as the shared face."""
    bound = state.bind(key, wanted if wanted in options else options[0], lambda v: state.publish(face=prefix + v))
    return st.selectbox(label, options, **bound, **kwargs)


def _portrait(page: str, current: str) -> str | None:
    names = guarded("Listing the bundled portraits", cache.portrait_names) or []
    if not names:
        st.info("No bundled portraits are installed (they come with scikit-image and matplotlib); upload a picture.")
        return None
    wanted = current.split(":", 1)[1] if face_kind(current) == "portrait" else names[0]
    key = state.page_key(page, "portrait")
    name = _select("Portrait", names, key, wanted, "portrait:", format_func=cache.portrait_title)
    return f"portrait:{name}"


def _upload(page: str, kind: str, current: str) -> str | None:
    if kind == "camera":
        picture = st.camera_input("Take a picture", key=state.page_key(page, "camera"))
    else:
        picture = st.file_uploader("A photo with a face", type=UPLOAD_TYPES, key=state.page_key(page, "upload"))
    aligned = st.checkbox(
        "It is already a CelebA-aligned crop (skip face detection)", key=state.page_key(page, f"{kind}_aligned")
    )
    if picture is not None:
        data = picture.getvalue()
        ref = bytes_ref(kind, data)
        state.remember_upload(ref, data, getattr(picture, "name", "camera picture"), aligned)
        return ref
    earlier = state.upload_for(current) if face_kind(current) == kind else None
    if earlier is not None:
        st.caption(f"Using the earlier picture {earlier[1]}.")
        return current
    if face_kind(current) == kind:  # a link to a picture this session never had
        st.warning(UPLOADED_ELSEWHERE, icon="ℹ️")
    st.info(
        "Upload a JPEG, PNG, WebP, BMP, GIF or TIFF picture with a face." if kind == "upload" else "Take a picture."
    )
    return None


def _dataset(ctx: AppContext, page: str, current: str) -> str | None:
    celeba = ctx.require_dataset("Browsing the dataset")
    if celeba is None:
        return None
    current_id = current.split(":", 1)[1] if face_kind(current) == "dataset" else ""
    problem = faces_data.dataset_id_problem(celeba, current_id) if current_id else None
    if problem is not None:  # e.g. a link naming a file outside the dataset: say so, then browse from the start
        st.error(problem)
        current_id = ""
    left, middle, right = st.columns([1, 2, 2])
    current_split = {0: "train", 2: "test"}.get(celeba.partition.get(current_id, -1), "test")
    bound = state.remembered(state.page_key(page, "split"), current_split, current)
    split = left.radio("Split", ["test", "train"], horizontal=True, **bound)
    has = middle.multiselect("Has attributes", ATTRIBUTES, key=state.page_key(page, "has"))
    lacks = right.multiselect("Lacks attributes", ATTRIBUTES, key=state.page_key(page, "lacks"))
    search = st.text_input("Image id contains", key=state.page_key(page, "search"), placeholder="e.g. 1826")
    conditions = tuple((ATTRIBUTES.index(a), 1) for a in has) + tuple((ATTRIBUTES.index(a), -1) for a in lacks)
    found = guarded("Searching the dataset", cache.dataset_matches, ctx.dataset_folder, split, conditions, search)
    if found is None:
        return None
    ids, total = found
    if current_id is not None and current_id not in ids and split == current_split:
        if ctx.celeba is not None and faces_data.matches_filters(
            ctx.celeba, current_id, split, dict(conditions), search
        ):
            ids = [current_id, *ids]  # chosen elsewhere (a link, the gallery) and beyond the listed 500
        elif ids:
            st.caption(f"{current_id} does not match these filters; showing the first image that does.")
    if not ids:
        st.warning("No image matches these filters.")
        return None
    wanted = current_id if current_id in ids else ids[0]
    label = f"Image ({total:,} match{'es' if total != 1 else ''}" + (", first 500 listed)" if total > len(ids) else ")")
    return f"dataset:{_select(label, ids, state.page_key(page, 'image'), wanted, 'dataset:')}"
