"""Page-number pagination shared by every list endpoint, and the read-only viewset base."""

from __future__ import annotations

from rest_framework import pagination, viewsets


class Pagination(pagination.PageNumberPagination):
    """100 rows a page; `page_size` asks for another size, up to 1000."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class ReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    pagination_class = Pagination
