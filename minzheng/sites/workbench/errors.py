from django.shortcuts import render


def not_found(request, exception=None):
    return render(
        request,
        "workbench/error.html",
        {"title": "找不到", "message": str(exception or "") or "您要找的内容不存在，或不在您的管辖范围内。"},
        status=404,
    )


def forbidden(request, exception=None):
    return render(
        request,
        "workbench/error.html",
        {"title": "无权访问", "message": str(exception or "") or "您没有此项权限。"},
        status=403,
    )


def server_error(request):
    return render(
        request,
        "workbench/error.html",
        {"title": "系统错误", "message": "系统出现错误，已记录，请稍后再试或联系管理员。"},
        status=500,
    )
